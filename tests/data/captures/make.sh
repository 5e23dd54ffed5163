#!/usr/bin/env bash
# Regenerate the TCP packet captures in this directory.
#
#   sudo tests/data/captures/make.sh            # all scenarios
#   sudo tests/data/captures/make.sh reset ipv6 # selected scenarios
#   tests/data/captures/make.sh --render [...]  # only re-render the text files
#                                               # from the existing capture.pcap
#
# Needs root, iproute2, ethtool, tcpdump, tshark, editcap and python3.
# Traffic only flows between three network namespaces created here:
#
#   tx-cli (cli0: 10.77.0.1, fd00::1) == tx-mid (relay.py) == tx-srv (srv0: 10.77.0.2, fd00::2)
#
# relay.py copies Ethernet frames between the two veth pairs in user space and
# applies the delay / drop / reorder rules of a scenario (the kernel used for
# the captures has no netem qdisc).  peer.py holds the client and server code.
#
# Three scenarios go beyond kernel-to-kernel traffic: capture_gap removes one
# data frame from the finished capture with editcap (a capture that missed a
# packet the peers did exchange), ack_before_data moves one data frame after
# the ACK of it with move_frame.py (a capture point that saw it late), and
# zero_window_probe replaces the client by
# peer.py's user-space TCP client on an AF_PACKET socket (Linux itself never
# sends 1-byte zero-window probes).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NS_C=tx-cli
NS_M=tx-mid
NS_S=tx-srv
CLI4=10.77.0.1
SRV4=10.77.0.2
CLI6=fd00::1
SRV6=fd00::2
HTTP_PORT=8080  # tcpdump decodes this port as HTTP
PLAIN_PORT=9000
PY=${PYTHON:-python3}
export TZ=UTC  # tcpdump prints local time of day

ALL_SCENARIOS=(three_way four_way simultaneous reset refused half_closed open
    retransmission fast_retransmission out_of_order zero_window keep_alive
    syn_retransmission reused_ports window_full midstream ipv6
    spurious_retransmission capture_gap zero_window_probe ack_before_data
    long_rtt syn_linear midstream_cut half_close_end fin_crossing stall
    keepalive_server probes probes_one_way icmp_reject)

ORACLE_FIELDS=(frame.number ip.src tcp.srcport ip.dst tcp.dstport tcp.flags.str
    tcp.seq tcp.seq_raw tcp.ack tcp.ack_raw tcp.window_size_value tcp.len
    tcp.stream tcp.options.mss_val tcp.options.wscale.shift
    tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
    tcp.analysis.retransmission tcp.analysis.fast_retransmission
    tcp.analysis.spurious_retransmission tcp.analysis.out_of_order
    tcp.analysis.lost_segment tcp.analysis.ack_lost_segment
    tcp.analysis.duplicate_ack tcp.analysis.duplicate_ack_num
    tcp.analysis.zero_window tcp.analysis.zero_window_probe
    tcp.analysis.zero_window_probe_ack tcp.analysis.window_full
    tcp.analysis.window_update tcp.analysis.keep_alive
    tcp.analysis.keep_alive_ack tcp.analysis.reused_ports
    tcp.analysis.acks_frame
    ipv6.src ipv6.dst tcp.window_size tcp.nxtseq frame.time_epoch)

PIDS=()
TMP=""

log() { echo "[make.sh] $*" >&2; }

teardown() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    PIDS=()
    for ns in $NS_C $NS_M $NS_S; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

cleanup() {
    teardown
    if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

setup() {
    teardown
    ip netns add $NS_C
    ip netns add $NS_M
    ip netns add $NS_S
    ip netns exec $NS_M sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add cli0 netns $NS_C type veth peer name mc0 netns $NS_M
    ip link add srv0 netns $NS_S type veth peer name ms0 netns $NS_M
    local ns ifc
    for ns in $NS_C $NS_S; do
        ip -n "$ns" link set lo up
    done
    ip -n $NS_C addr add $CLI4/24 dev cli0
    ip -n $NS_C addr add $CLI6/64 dev cli0 nodad
    ip -n $NS_S addr add $SRV4/24 dev srv0
    ip -n $NS_S addr add $SRV6/64 dev srv0 nodad
    # no offloads: segments on the wire are MSS sized and checksummed
    ip netns exec $NS_C ethtool -K cli0 tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec $NS_S ethtool -K srv0 tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec $NS_M ethtool -K mc0 tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec $NS_M ethtool -K ms0 tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
    for ifc in mc0 ms0; do ip -n $NS_M link set "$ifc" promisc on up; done
    ip -n $NS_C link set cli0 up
    ip -n $NS_S link set srv0 up
}

wait_for() {  # wait_for FILE [PATTERN]
    local i
    for i in $(seq 1 500); do
        if [[ -z "${2:-}" && -e "$1" ]]; then return 0; fi
        if [[ -n "${2:-}" && -e "$1" ]] && grep -q "$2" "$1"; then return 0; fi
        sleep 0.02
    done
    log "timeout waiting for $1 ${2:-}"
    return 1
}

TCPDUMP_PID=""
start_tcpdump() {  # start_tcpdump NS IFACE SNAPLEN OUT [FILTER]
    rm -f "$TMP/tcpdump.err"
    ip netns exec "$1" tcpdump -i "$2" --immediate-mode -U -Z root -s "$3" -w "$4" "${5:-tcp}" 2>"$TMP/tcpdump.err" &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    wait_for "$TMP/tcpdump.err" "listening on"
}

late_data_segment() {  # late_data_segment PCAP SRC N: SRC's N-th data segment seen after its ACK
    local pcap=$1 frame end ack
    read -r frame end < <(tshark -r "$pcap" -Y "ip.src == $2 && tcp.len > 0" \
        -T fields -e frame.number -e tcp.nxtseq 2>/dev/null | sed -n "${3}p")
    ack=$(tshark -r "$pcap" -Y "ip.dst == $2 && tcp.ack >= $end" -T fields -e frame.number \
        2>/dev/null | head -1)
    if [[ -z $frame || -z $ack ]]; then
        log "no data segment $3 from $2 with an ACK in $pcap"
        return 1
    fi
    log "moving frame $frame after frame $ack"
    $PY "$HERE/move_frame.py" "$pcap" "$frame" "$ack"
}

cut_data_segment() {  # cut_data_segment PCAP SRC N: remove SRC's N-th data segment
    local pcap=$1 frame
    frame=$(tshark -r "$pcap" -Y "ip.src == $2 && tcp.len > 0" -T fields -e frame.number 2>/dev/null |
        sed -n "${3}p")
    if [[ -z $frame ]]; then
        log "no data segment $3 from $2 in $pcap"
        return 1
    fi
    log "removing frame $frame ($(tcpdump -nn -r "$pcap" 2>/dev/null | sed -n "${frame}p"))"
    editcap -F pcap "$pcap" "$pcap.cut" "$frame"
    mv "$pcap.cut" "$pcap"
}

cut_first_frames() {  # cut_first_frames PCAP SRC: the capture starts at SRC's first data segment after its first ACK
    local pcap=$1 frame
    frame=$(tshark -r "$pcap" -Y "ip.src == $2 && tcp.len > 0" -T fields -e frame.number 2>/dev/null | head -1)
    if [[ -z $frame || $frame -le 1 ]]; then
        log "no data segment from $2 in $pcap"
        return 1
    fi
    log "removing frames 1-$((frame - 1)): the capture starts mid-connection"
    editcap -F pcap "$pcap" "$pcap.cut" "1-$((frame - 1))"
    mv "$pcap.cut" "$pcap"
}

stop_tcpdump() {
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    log "$(grep -E 'captured|dropped' "$TMP/tcpdump.err" | tr '\n' ' ')"
}

render() {  # render DIR (ORACLE_ONLY=1: only oracle.tsv)
    local d=$1 f args=()
    for f in "${ORACLE_FIELDS[@]}"; do args+=(-e "$f"); done
    (
        cd "$d"
        if [[ -z ${ORACLE_ONLY:-} ]]; then
            tcpdump -nn -r capture.pcap >nn.txt 2>/dev/null
            tcpdump -nn -S -r capture.pcap >nn_S.txt 2>/dev/null
            tcpdump -nn -v -r capture.pcap >nn_v.txt 2>/dev/null
        fi
        tshark -r capture.pcap \
            -o tcp.relative_sequence_numbers:TRUE \
            -o tcp.analyze_sequence_numbers:TRUE \
            -Y 'tcp && !icmp && !icmpv6' \
            -T fields -E header=y -E separator=/t -E occurrence=f \
            "${args[@]}" >oracle.tsv 2>/dev/null
    )
    $PY "$HERE/truth.py" "$d" >&2
}

run_scenario() {
    local name=$1
    local out="$HERE/$name"
    local relay_args=() srv_args=() cli_args=() cli_sysctl=()
    local cap_ns=$NS_C cap_if=cli0 snap=262144 server=yes hook=none
    local srv_addr=$SRV4 port=$PLAIN_PORT cut_data="" late_data="" raw_client=no
    local filter=tcp stop_after=0.3 cut_first=no srv_rules=()
    TMP=$(mktemp -d)

    case $name in
        three_way|four_way) port=$HTTP_PORT ;;
        reset|half_closed|keep_alive) ;;
        simultaneous)
            relay_args+=(--delay-ms 50)
            local deadline
            deadline=$(date +%s.%N | awk '{printf "%.3f", $1 + 2.0}')
            srv_args+=(--deadline "$deadline")
            cli_args+=(--deadline "$deadline")
            ;;
        refused) server=no ;;
        open) hook=stop_early ;;
        midstream) hook=start_late ;;
        spurious_retransmission)
            relay_args+=(--drop s2c:data:2)
            cap_ns=$NS_S cap_if=srv0
            ;;
        retransmission) relay_args+=(--drop c2s:data:2,3,4) ;;
        fast_retransmission)
            relay_args+=(--drop c2s:data:3)
            srv_args+=(--maxseg 500)
            cli_args+=(--maxseg 500 --size 12000)
            snap=128
            ;;
        out_of_order)
            relay_args+=(--delay-ms 2 --hold c2s:data:2)
            srv_args+=(--maxseg 500)
            cli_args+=(--maxseg 500 --nodelay --size 2000)
            cap_ns=$NS_S cap_if=srv0
            ;;
        zero_window)
            srv_args+=(--maxseg 500 --rcvbuf 2048 --stall 2.5)
            cli_args+=(--maxseg 500 --size 8000)
            snap=128
            ;;
        capture_gap)
            # a clean transfer; the capture then loses the client's third data
            # segment (editcap, below), as a busy capture host or SPAN port would
            srv_args+=(--maxseg 500)
            cli_args+=(--maxseg 500 --size 4000)
            cut_data=3
            snap=128
            ;;
        ack_before_data)
            # a clean transfer; the capture then sees the client's third data
            # segment only after the server's ACK of it (move_frame.py, below),
            # as a SPAN port that delays one direction would
            srv_args+=(--maxseg 500)
            cli_args+=(--maxseg 500 --size 4000)
            late_data=3
            snap=128
            ;;
        zero_window_probe)
            # user-space client (peer.py RawTcpClient) on cli0 without an IPv4
            # address: the kernel in tx-cli neither owns 10.77.0.1 nor forwards,
            # so it drops the server's segments silently (no RST)
            srv_args+=(--maxseg 500 --rcvbuf 2048 --stall 2.0)
            cli_args+=(--maxseg 500 --size 4000 --src $CLI4 --iface cli0 --probes 3)
            raw_client=yes
            ;;
        window_full)
            srv_args+=(--maxseg 500 --rcvbuf 2048 --read-chunk 1000 --read-pause 0.05)
            cli_args+=(--maxseg 500 --size 8000)
            snap=128
            ;;
        syn_retransmission)
            relay_args+=(--drop c2s:syn:1,2)
            # kernels with this sysctl (default 4) retry SYNs at linear 1 s
            # intervals first; 0 gives the classic 1 s, 2 s, 4 s backoff
            cli_sysctl+=(net.ipv4.tcp_syn_linear_timeouts=0)
            ;;
        reused_ports) cli_args+=(--src $CLI4 --src-port 40000) ;;
        ipv6) srv_addr=$SRV6 port=$HTTP_PORT ;;
        long_rtt)
            # 300 ms each way (a 600 ms round trip); both ends acknowledge at
            # once, and the relay drops one request, resent on a timeout
            relay_args+=(--delay-ms 300 --drop c2s:data:2)
            ;;
        syn_linear)
            # the kernel default: the first SYN retries 1 s apart, not doubling
            relay_args+=(--drop c2s:syn:1,2,3)
            cli_sysctl+=(net.ipv4.tcp_syn_linear_timeouts=4)
            ;;
        midstream_cut)
            # a whole capture whose first frames are then removed (editcap):
            # it starts with the server's data, the client's next is a bare ACK
            cut_first=yes
            ;;
        half_close_end)
            # the client shuts down writing; the capture stops while the server
            # still sends: left half-closed
            hook=stop_early stop_after=1.6
            srv_args+=(--idle 2.0)
            ;;
        fin_crossing)
            # the server's third segment is lost twice: its timeout resend
            # crosses the client's FIN
            relay_args+=(--drop s2c:data:3,5)
            srv_args+=(--maxseg 500)
            cli_args+=(--maxseg 500)
            ;;
        stall)
            # the server's data after the first segment never arrives: resent
            # with backoff until the capture stops
            relay_args+=(--drop s2c:data:$(seq -s, 2 40))
            srv_args+=(--maxseg 500 --idle 8)
            hook=stop_early stop_after=6.5
            cap_ns=$NS_S cap_if=srv0  # where the resends are seen
            ;;
        keepalive_server)
            # server keep-alives 1 s apart; the client shuts down writing, then
            # closes with unread data: FIN, then RST
            srv_args+=(--idle 3.5)
            cli_args+=(--idle 3.5)
            ;;
        probes|probes_one_way)
            # scan probes (Xmas, NULL, FIN, SYN) from a raw socket to closed ports
            server=no port=7001
            cli_args+=(--src $CLI4)
            if [[ $name == probes_one_way ]]; then
                filter="tcp and src host $SRV4"  # only the server's answers
            fi
            ;;
        icmp_reject)
            # the server host's firewall rejects with ICMP: port unreachable on
            # 9005, administratively prohibited on 9006
            server=no port=9005 filter="tcp or icmp"
            srv_rules+=("-p tcp --dport 9005 -j REJECT --reject-with icmp-port-unreachable"
                "-p tcp --dport 9006 -j REJECT --reject-with icmp-admin-prohibited")
            ;;
        *) log "unknown scenario $name"; return 1 ;;
    esac

    log "=== $name"
    setup
    local kv
    for kv in "${cli_sysctl[@]}"; do
        ip netns exec $NS_C sysctl -qw "$kv" 2>/dev/null || log "sysctl $kv not available"
    done
    if [[ $raw_client == yes ]]; then
        ip -n $NS_C addr del $CLI4/24 dev cli0
    fi
    local rule
    for rule in "${srv_rules[@]}"; do
        # shellcheck disable=SC2086
        ip netns exec $NS_S iptables -A INPUT $rule
    done
    mkdir -p "$out"
    rm -f "$out/capture.pcap"

    ip netns exec $NS_M $PY "$HERE/relay.py" --a mc0 --b ms0 "${relay_args[@]}" 2>"$TMP/relay.log" &
    PIDS+=($!)
    wait_for "$TMP/relay.log" "relay up"

    local srv_pid=""
    if [[ $server == yes ]]; then
        ip netns exec $NS_S $PY "$HERE/peer.py" server "$name" --addr "$srv_addr" --port $port \
            --ready "$TMP/ready" "${srv_args[@]}" 2>"$TMP/server.log" &
        srv_pid=$!
        PIDS+=("$srv_pid")
        wait_for "$TMP/ready"
    fi

    if [[ $hook != start_late ]]; then
        start_tcpdump $cap_ns $cap_if $snap "$out/capture.pcap" "$filter"
        sleep 0.2
    fi

    ip netns exec $NS_C $PY "$HERE/peer.py" client "$name" --addr "$srv_addr" --port $port \
        --signal "$TMP/checkpoint" --wait "$TMP/go" "${cli_args[@]}" 2>"$TMP/client.log" &
    local cli_pid=$!
    PIDS+=("$cli_pid")

    case $hook in
        start_late)
            wait_for "$TMP/checkpoint"
            sleep 0.2
            start_tcpdump $cap_ns $cap_if $snap "$out/capture.pcap"
            sleep 0.1
            touch "$TMP/go"
            ;;
        stop_early)
            wait_for "$TMP/checkpoint"
            sleep "$stop_after"
            stop_tcpdump
            touch "$TMP/go"
            ;;
    esac

    wait "$cli_pid" || { log "client failed"; cat "$TMP/client.log" >&2; }
    if [[ -n $srv_pid ]]; then
        wait "$srv_pid" || { log "server failed"; cat "$TMP/server.log" >&2; }
    fi
    if [[ $hook != stop_early ]]; then
        sleep 0.5
        stop_tcpdump
    fi
    sed 's/^/  relay:  /' "$TMP/relay.log" >&2
    sed 's/^/  client: /' "$TMP/client.log" >&2
    [[ -e "$TMP/server.log" ]] && sed 's/^/  server: /' "$TMP/server.log" >&2
    teardown
    if [[ -n $late_data ]]; then
        late_data_segment "$out/capture.pcap" $CLI4 "$late_data" || true
    fi
    if [[ $cut_first == yes ]]; then
        # (without the cut the capture fails check.py and the scenario is retried)
        cut_first_frames "$out/capture.pcap" $SRV4 || true
    fi
    if [[ -n $cut_data ]]; then
        # on failure the uncut capture fails check.py and the scenario is retried
        cut_data_segment "$out/capture.pcap" $CLI4 "$cut_data" || true
    fi
    render "$out"
    log "$name: $(wc -l <"$out/nn.txt") packets, $(stat -c %s "$out/capture.pcap") bytes"
    rm -rf "$TMP"
    TMP=""
}

if [[ ${1:-} == --render ]]; then
    shift
    if [[ $# -eq 0 ]]; then set -- "${ALL_SCENARIOS[@]}"; fi
    for s in "$@"; do render "$HERE/$s"; done
    $PY "$HERE/check.py" "${@/#/$HERE/}"
    exit
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "must run as root (network namespaces, tcpdump)" >&2
    exit 1
fi
for tool in ip ethtool tcpdump tshark editcap "$PY"; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

if [[ $# -eq 0 ]]; then
    set -- "${ALL_SCENARIOS[@]}"
fi
FAILED=()
for s in "$@"; do
    ok=no
    for attempt in $(seq 1 "${ATTEMPTS:-3}"); do
        run_scenario "$s"
        if $PY "$HERE/check.py" "$HERE/$s" >&2; then ok=yes; break; fi
        log "$s: attempt $attempt did not give the intended shape"
    done
    [[ $ok == yes ]] || FAILED+=("$s")
done
if [[ ${#FAILED[@]} -gt 0 ]]; then
    log "scenarios without the intended shape: ${FAILED[*]}"
    exit 1
fi

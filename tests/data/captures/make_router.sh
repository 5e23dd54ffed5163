#!/usr/bin/env bash
# Regenerate icmp_router/ and any_forward/: TCP through a real (kernel) router.
#
#   sudo tests/data/captures/make_router.sh          # capture and render
#   tests/data/captures/make_router.sh --render      # only redo icmp_router's text
#                                                    # files and both oracles
#
# Needs root, iproute2, iptables, tcpdump, tshark and python3. Traffic flows only between
# three network namespaces created here:
#
#   ir-a (a0: 10.91.0.1, fd91::1) -- ir-r (router) -- ir-b (b0: 10.92.0.1, fd92::1)
#
# The router's link towards ir-b has an MTU of 1280 (ir-b's own end keeps
# 1500, so both hosts offer an MSS for 1500), and it has `prohibit` routes for
# 10.93.0.0/24 and fd93::/64. Captured on a0:
#   1. IPv4 bulk data a -> b: segments too big for the 1280 link, "need to frag";
#   2. the same over IPv6: "packet too big";
#   3. a SYN towards 10.93.0.9 and fd93::9: "admin prohibited";
#   4. a SYN sent with TTL 1 / hop limit 1: "time exceeded in-transit";
#   5. a SYN to port 9002, which ir-b rejects (iptables REJECT): "port unreachable".
# Then any_forward/: a short exchange on port 9001 captured with `-i any` on
# the router itself, which prints every packet twice (in on one interface,
# out on the other). Its text files are rendered inside the router's
# namespace, where the capture's interface numbers have their names (ra, rb).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/icmp_router
ANY=$HERE/any_forward
PY=${PYTHON:-python3}
export TZ=UTC

render() {
    "$HERE/make.sh" --render icmp_router
    ORACLE_ONLY=1 "$HERE/make.sh" --render any_forward
    # The ICMP oracle: each error's type and code, and the TCP header it quotes
    # (the last occurrence of a field is the quoted packet's).
    tshark -r "$OUT/capture.pcap" \
        -Y 'icmp.type == 3 || icmp.type == 11 || icmpv6.type == 1 || icmpv6.type == 2 || icmpv6.type == 3' \
        -T fields -E header=y -E separator=/t -E occurrence=l \
        -e frame.number -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
        -e ip.src -e ipv6.src -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.seq \
        >"$OUT/icmp.tsv" 2>/dev/null
    # Each sighting's interface and the IP packet it is (a copy has the same
    # IP id, addresses and TCP numbers as an earlier sighting on another interface).
    tshark -r "$ANY/capture.pcap" -T fields -E header=y -E separator=/t \
        -e frame.number -e sll.ifindex -e sll.pkttype -e ip.src -e ip.id \
        -e tcp.srcport -e tcp.seq_raw -e tcp.ack_raw -e tcp.len \
        >"$ANY/sightings.tsv" 2>/dev/null
}

if [[ "${1:-}" == "--render" ]]; then
    render
    exit 0
fi

cleanup() {
    kill "${PIDS[@]}" 2>/dev/null || true
    for ns in ir-a ir-r ir-b; do ip netns del $ns 2>/dev/null || true; done
}
PIDS=()
trap cleanup EXIT
cleanup

for ns in ir-a ir-r ir-b; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add a0 netns ir-a type veth peer name ra netns ir-r
ip link add b0 netns ir-b type veth peer name rb netns ir-r
ip -n ir-a addr add 10.91.0.1/24 dev a0
ip -n ir-a addr add fd91::1/64 dev a0 nodad
ip -n ir-r addr add 10.91.0.2/24 dev ra
ip -n ir-r addr add fd91::2/64 dev ra nodad
ip -n ir-r addr add 10.92.0.2/24 dev rb
ip -n ir-r addr add fd92::2/64 dev rb nodad
ip -n ir-b addr add 10.92.0.1/24 dev b0
ip -n ir-b addr add fd92::1/64 dev b0 nodad
ip -n ir-r link set rb mtu 1280
for l in "ir-a a0" "ir-r ra" "ir-r rb" "ir-b b0"; do
    set -- $l
    ip -n "$1" link set "$2" up
    # Whole segments with their checksums, as a NIC without offloads sends them.
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
done
ip netns exec ir-r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n ir-a route add default via 10.91.0.2
ip -n ir-a -6 route add default via fd91::2
ip -n ir-b route add default via 10.92.0.2
ip -n ir-b -6 route add default via fd92::2
ip -n ir-r route add prohibit 10.93.0.0/24
ip -n ir-r -6 route add prohibit fd93::/64
ip netns exec ir-b iptables -A INPUT -p tcp --dport 9002 -j REJECT
ip netns exec ir-b ip6tables -A INPUT -p tcp --dport 9002 -j REJECT
# Rate limits would drop some of the errors this capture wants to show.
ip netns exec ir-r sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0

ip netns exec ir-b "$PY" - <<'EOF' &
import socket, threading
def serve(family, host):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 9000)); s.listen()
    while True:
        c, _ = s.accept()
        while c.recv(65536):
            pass
        c.close()
def answer():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.92.0.1", 9001)); s.listen()
    while True:
        c, _ = s.accept()
        c.recv(100)
        c.sendall(b"y" * 1000)  # fits the 1280-byte link
        c.close()
for fam, host in ((socket.AF_INET, "10.92.0.1"), (socket.AF_INET6, "fd92::1")):
    threading.Thread(target=serve, args=(fam, host), daemon=True).start()
threading.Thread(target=answer, daemon=True).start()
threading.Event().wait()
EOF
PIDS+=($!)
sleep 0.5
mkdir -p "$OUT"
ip netns exec ir-a tcpdump -i a0 -U -w "$OUT/capture.pcap" \
    'tcp or icmp or (icmp6 and (ip6[40] == 1 or ip6[40] == 2 or ip6[40] == 3))' 2>/dev/null &
PIDS+=($!)
sleep 1
ip netns exec ir-a "$PY" - <<'EOF'
import socket, time
def bulk(family, host):
    s = socket.create_connection((host, 9000))
    s.sendall(b"x" * 6000)
    time.sleep(0.3)
    s.close()
    time.sleep(0.2)
def syn(family, host, ttl=None, port=9000):
    s = socket.socket(family, socket.SOCK_STREAM)
    if ttl:
        if family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    s.settimeout(1.5)
    try:
        s.connect((host, port))
    except OSError as e:
        print(host, ttl, e)
    s.close()
    time.sleep(0.2)
bulk(socket.AF_INET, "10.92.0.1")
bulk(socket.AF_INET6, "fd92::1")
syn(socket.AF_INET, "10.93.0.9")
syn(socket.AF_INET6, "fd93::9")
syn(socket.AF_INET, "10.92.0.1", ttl=1)
syn(socket.AF_INET6, "fd92::1", ttl=1)
syn(socket.AF_INET, "10.92.0.1", port=9002)
syn(socket.AF_INET6, "fd92::1", port=9002)
EOF
sleep 1
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

mkdir -p "$ANY"
ip netns exec ir-r tcpdump -i any -U -w "$ANY/capture.pcap" 'tcp port 9001' 2>/dev/null &
PIDS+=($!)
sleep 1
ip netns exec ir-a "$PY" - <<'EOF'
import socket, time
s = socket.create_connection(("10.92.0.1", 9001))
s.sendall(b"ping")
while s.recv(4096):
    pass
s.close()
time.sleep(0.3)
EOF
sleep 1
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
for flags in nn nn_S nn_v; do
    opts=$(sed 's/_/ -/; s/^nn/-nn/' <<<"$flags")
    # shellcheck disable=SC2086
    ip netns exec ir-r tcpdump $opts -r "$ANY/capture.pcap" >"$ANY/$flags.txt" 2>/dev/null
done
cleanup
trap - EXIT
render
echo "made $OUT and $ANY"

#!/usr/bin/env bash
# Regenerate any_bridge/ and ttl_loop/: packets a capture shows more than once.
#
#   sudo tests/data/captures/make_paths.sh            # capture and render both
#   tests/data/captures/make_paths.sh --render        # only redo the text files and oracles
#
# Needs root, iproute2, tcpdump, tshark and python3. Traffic flows only
# between namespaces created here.
#
# any_bridge: a bridge between two hosts, captured with `-i any` in the
# bridge's namespace and the old cooked link type (LINUX_SLL, as older
# tcpdump wrote it): every frame is printed twice, in on one port and out on
# the other, microseconds apart, and the text names no interface.
#
#   bx-a (ba0: 10.95.0.1) -- bx-br (br0: ports xa, xb) -- bx-b (bb0: 10.95.0.2)
#
# ttl_loop: two routers that send 10.97.0.0/24 to each other; a SYN towards
# 10.97.0.9 goes round between them until its TTL runs out, and the capture
# on the link between them sees it again at each pass (same IP id, TTL one
# lower each time), then the ICMP "time exceeded" that ends the attempt.
#
#   lp-a (la0: 10.96.0.1) -- lp-r1 (r1a 10.96.0.2, r1b 10.98.0.1) -- lp-r2 (r2b 10.98.0.2)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BRIDGE=$HERE/any_bridge
LOOP=$HERE/ttl_loop
PY=${PYTHON:-python3}
export TZ=UTC
NAMESPACES=(bx-a bx-br bx-b lp-a lp-r1 lp-r2)

render() {
    ORACLE_ONLY= "$HERE/make.sh" --render any_bridge ttl_loop
    # Each sighting's direction (sll.pkttype: 0 in, 4 out) and the IP packet it
    # is: a copy has the same IP id, addresses and TCP numbers as an earlier
    # sighting (and, in the loop, a lower TTL).
    for d in "$BRIDGE" "$LOOP"; do
        tshark -r "$d/capture.pcap" -Y 'tcp && !icmp' -T fields -E header=y -E separator=/t \
            -e frame.number -e sll.pkttype -e ip.src -e ip.id -e ip.ttl \
            -e tcp.srcport -e tcp.seq_raw -e tcp.ack_raw -e tcp.len \
            >"$d/sightings.tsv" 2>/dev/null
    done
    "$PY" "$HERE/truth.py" "$BRIDGE" "$LOOP" >&2
}

if [[ "${1:-}" == "--render" ]]; then
    render
    exit 0
fi

PIDS=()
TMP=$(mktemp -d)
cleanup() {
    kill "${PIDS[@]}" 2>/dev/null || true
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
cleanup
for ns in "${NAMESPACES[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done

# ---- any_bridge
ip link add ba0 netns bx-a type veth peer name xa netns bx-br
ip link add bb0 netns bx-b type veth peer name xb netns bx-br
ip -n bx-br link add br0 type bridge
ip -n bx-br link set xa master br0
ip -n bx-br link set xb master br0
ip -n bx-a addr add 10.95.0.1/24 dev ba0
ip -n bx-b addr add 10.95.0.2/24 dev bb0
for l in "bx-a ba0" "bx-b bb0" "bx-br xa" "bx-br xb" "bx-br br0"; do
    set -- $l
    ip -n "$1" link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
done

ip netns exec bx-b "$PY" - <<'EOF' &
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.95.0.2", 9000)); s.listen()
c, _ = s.accept()
buf = b""
while not buf.endswith(b"\n"):
    buf += c.recv(100)
c.sendall(b"200 ok " + buf)
while c.recv(100):
    pass
c.close()
EOF
PIDS+=($!)
sleep 0.5
mkdir -p "$BRIDGE"
ip netns exec bx-br tcpdump -i any -y LINUX_SLL --immediate-mode -U -Z root -w "$BRIDGE/capture.pcap" tcp 2>"$TMP/any_bridge.err" &
TD=$!
sleep 1
ip netns exec bx-a "$PY" - <<'EOF'
import socket, time
s = socket.create_connection(("10.95.0.2", 9000))
s.sendall(b"GET /bridge\n")
print(s.recv(100))
time.sleep(0.05)
s.close()
time.sleep(0.2)
EOF
sleep 0.5
kill -INT $TD; wait $TD || true

# ---- ttl_loop
ip link add la0 netns lp-a type veth peer name r1a netns lp-r1
ip link add r1b netns lp-r1 type veth peer name r2b netns lp-r2
ip -n lp-a addr add 10.96.0.1/24 dev la0
ip -n lp-r1 addr add 10.96.0.2/24 dev r1a
ip -n lp-r1 addr add 10.98.0.1/24 dev r1b
ip -n lp-r2 addr add 10.98.0.2/24 dev r2b
for l in "lp-a la0" "lp-r1 r1a" "lp-r1 r1b" "lp-r2 r2b"; do
    set -- $l
    ip -n "$1" link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
done
for r in lp-r1 lp-r2; do
    ip netns exec $r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
        net.ipv4.icmp_ratelimit=0
done
ip -n lp-a route add default via 10.96.0.2
ip -n lp-r1 route add 10.97.0.0/24 via 10.98.0.2
ip -n lp-r2 route add 10.97.0.0/24 via 10.98.0.1  # back again: the loop
ip -n lp-r2 route add 10.96.0.0/24 via 10.98.0.1
mkdir -p "$LOOP"
ip netns exec lp-r1 tcpdump -i r1b --immediate-mode -U -Z root -w "$LOOP/capture.pcap" 'tcp or icmp' 2>"$TMP/ttl_loop.err" &
TD=$!
sleep 1
ip netns exec lp-a "$PY" - <<'EOF'
import socket, time
s = socket.socket()
t = time.time()
try:
    s.connect(("10.97.0.9", 9000))
except OSError as e:
    print("connect: %s after %.3f s" % (e, time.time() - t))
EOF
sleep 0.5
kill -INT $TD; wait $TD || true

render
for d in "$BRIDGE" "$LOOP"; do
    echo "$(basename "$d"): $(wc -l <"$d/nn.txt") lines, $(stat -c %s "$d/capture.pcap") bytes" >&2
done

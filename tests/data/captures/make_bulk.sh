#!/usr/bin/env bash
# Produce a large real tcpdump text dump for benchmarking (not committed).
#
#   sudo tests/data/captures/make_bulk.sh [OUTPUT.txt] [PACKETS]
#
# OUTPUT defaults to target/bench/bulk-1m.txt (relative to the repository
# root), PACKETS to 1000000.  A bulk transfer with a 200-byte MSS runs over a
# veth pair between two network namespaces (bk-cli 10.78.0.1, bk-srv
# 10.78.0.2) until tcpdump has captured PACKETS packets on the sender side;
# the capture is then rendered with `tcpdump -nn -r` into OUTPUT and the pcap
# is deleted (set KEEP_PCAP=1 to keep it next to OUTPUT).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$ROOT/target/bench/bulk-1m.txt}
COUNT=${2:-1000000}
PY=${PYTHON:-python3}
export TZ=UTC  # tcpdump prints local time of day
NS_C=bk-cli
NS_S=bk-srv
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del $NS_C 2>/dev/null || true
    ip netns del $NS_S 2>/dev/null || true
    if [[ -n "${WORK:-}" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
    echo "must run as root (network namespaces, tcpdump)" >&2
    exit 1
fi

mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d "$(dirname "$OUT")/.bulk.XXXXXX")
PCAP=$WORK/bulk.pcap

ip netns del $NS_C 2>/dev/null || true
ip netns del $NS_S 2>/dev/null || true
ip netns add $NS_C
ip netns add $NS_S
ip link add bk0 netns $NS_C type veth peer name bk1 netns $NS_S
ip -n $NS_C addr add 10.78.0.1/24 dev bk0
ip -n $NS_S addr add 10.78.0.2/24 dev bk1
for x in "$NS_C bk0" "$NS_S bk1"; do
    set -- $x
    ip netns exec "$1" ethtool -K "$2" tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$1" link set "$2" up
    ip -n "$1" link set lo up
done

# receiver: accept one connection and discard everything
ip netns exec $NS_S $PY -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 200)
s.bind(("10.78.0.2", 5001)); s.listen(1)
open("'"$WORK"'/ready", "w").close()
c, _ = s.accept()
while c.recv(1 << 16):
    pass
' &
PIDS+=($!)
for _ in $(seq 1 250); do [[ -e $WORK/ready ]] && break; sleep 0.02; done

ip netns exec $NS_C tcpdump -i bk0 -B 65536 -s 96 -c "$COUNT" -w "$PCAP" tcp 2>"$WORK/tcpdump.err" &
TCPDUMP=$!
for _ in $(seq 1 250); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.02; done

# sender: one connection, writes until killed
ip netns exec $NS_C $PY -c '
import socket
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 200)
s.connect(("10.78.0.2", 5001))
buf = b"x" * (1 << 16)
while True:
    s.sendall(buf)
' 2>/dev/null &
PIDS+=($!)

wait $TCPDUMP
cat "$WORK/tcpdump.err" >&2
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done

TIMEFORMAT='tcpdump -nn -r: real %3R s, user %3U s, sys %3S s'
time tcpdump -nn -r "$PCAP" >"$OUT" 2>/dev/null
if [[ -n ${KEEP_PCAP:-} ]]; then mv "$PCAP" "${OUT%.txt}.pcap"; fi
echo "$OUT: $(wc -l <"$OUT") lines, $(stat -c %s "$OUT") bytes" >&2

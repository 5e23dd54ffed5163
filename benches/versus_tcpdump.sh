#!/usr/bin/env bash
# CPU time of the command line next to tcpdump's on the same packets: the
# goals are a summary in at most a tenth of the CPU time `tcpdump -nn -r`
# takes to print the lines, and the full JSON Lines in at most a third.
#
#   benches/versus_tcpdump.sh [DUMP.pcap] [RUNS]
#
# DUMP.pcap defaults to target/bench/bulk-1m.pcap, made with
# `KEEP_PCAP=1 sudo tests/data/captures/make_bulk.sh` (which also renders it
# into target/bench/bulk-1m.txt, the text read here). CPU time is user + system
# time of the whole process (GNU time), output to /dev/null; the best of RUNS
# (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

PCAP=${1:-target/bench/bulk-1m.pcap}
RUNS=${2:-5}
TEXT=${PCAP%.pcap}.txt
for f in "$PCAP" "$TEXT"; do
    if [[ ! -f $f ]]; then
        echo "no $f: run KEEP_PCAP=1 sudo tests/data/captures/make_bulk.sh" >&2
        exit 2
    fi
done
if [[ ! -x /usr/bin/time ]]; then
    echo "needs GNU time (/usr/bin/time; Debian: apt-get install time)" >&2
    exit 2
fi
cargo build --release --quiet
BIN=target/release/tcpexplain
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT

# Best user+system seconds of RUNS runs of the command given.
best_cpu() {
    local best="" t
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%U %S" -o "$TIMES" "$@" >/dev/null 2>&1
        t=$(awk '{print $1 + $2}' "$TIMES")
        best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
    done
    echo "$best"
}

tcpdump_cpu=$(best_cpu tcpdump -nn -r "$PCAP")
summary_cpu=$(best_cpu "$BIN" --summary "$TEXT")
jsonl_cpu=$(best_cpu "$BIN" --format jsonl "$TEXT")

echo "$(wc -l <"$TEXT") lines; CPU seconds (user + system), best of $RUNS:"
awk -v t="$tcpdump_cpu" -v s="$summary_cpu" -v j="$jsonl_cpu" 'BEGIN {
    printf "  tcpdump -nn -r           %6.2f\n", t
    printf "  tcpexplain --summary     %6.2f  (1/%.1f of tcpdump; goal 1/10)\n", s, t / s
    printf "  tcpexplain --format jsonl%6.2f  (1/%.1f of tcpdump; goal 1/3)\n", j, t / j
}'

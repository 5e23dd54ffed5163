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
# time of the whole process (GNU time), output to /dev/null; RUNS rounds
# (default 5), each running the three commands one after the other, so that
# all three meet the machine in the same state; the best and the median of
# each are shown, the ratios from the best.
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

# User+system seconds of one run of the command given.
cpu() {
    /usr/bin/time -f "%U %S" -o "$TIMES" "$@" >/dev/null 2>&1
    awk '{print $1 + $2}' "$TIMES"
}

# "best median" of the numbers given.
best_median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[1], v[int((NR + 1) / 2)] }'
}

tcpdump_runs=() summary_runs=() jsonl_runs=()
for _ in $(seq "$RUNS"); do
    tcpdump_runs+=("$(cpu tcpdump -nn -r "$PCAP")")
    summary_runs+=("$(cpu "$BIN" --summary "$TEXT")")
    jsonl_runs+=("$(cpu "$BIN" --format jsonl "$TEXT")")
done

echo "$(wc -l <"$TEXT") lines; CPU seconds (user + system), best and median of $RUNS rounds:"
{
    best_median "${tcpdump_runs[@]}"
    best_median "${summary_runs[@]}"
    best_median "${jsonl_runs[@]}"
} | awk '
    { best[NR] = $1; median[NR] = $2 }
    END {
        t = best[1]
        printf "  tcpdump -nn -r            %6.2f  (median %.2f)\n", t, median[1]
        printf "  tcpexplain --summary      %6.2f  (median %.2f; 1/%.1f of tcpdump; goal 1/10)\n", best[2], median[2], t / best[2]
        printf "  tcpexplain --format jsonl %6.2f  (median %.2f; 1/%.1f of tcpdump; goal 1/3)\n", best[3], median[3], t / best[3]
    }'

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
# (default 5), each running every command one after the other, so that
# all of them meet the machine in the same state; the best and the median of
# each are shown, with the ratios of the bests and of the medians.
#
# Two builds of tcpexplain are measured: `cargo build --release`, and the
# same code built with profile-guided optimisation by scripts/pgo.sh (skipped,
# with a note, where rustc's llvm-profdata is missing).
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
BUILDS=("release:target/release/tcpexplain")
HOST=$(rustc -vV | sed -n 's/^host: //p')
if scripts/pgo.sh >/dev/null; then
    BUILDS+=("pgo:target/pgo/$HOST/release/tcpexplain")
else
    echo "(no PGO build: only the plain release build is measured)" >&2
fi
TIMES=$(mktemp)
RESULTS=$(mktemp)
trap 'rm -f "$TIMES" "$RESULTS"' EXIT

# User+system seconds of one run of the command given.
cpu() {
    /usr/bin/time -f "%U %S" -o "$TIMES" "$@" >/dev/null 2>&1
    awk '{print $1 + $2}' "$TIMES"
}

# One line per run: "case seconds".
for _ in $(seq "$RUNS"); do
    echo "tcpdump $(cpu tcpdump -nn -r "$PCAP")" >>"$RESULTS"
    for build in "${BUILDS[@]}"; do
        name=${build%%:*} bin=${build#*:}
        echo "summary:$name $(cpu "$bin" --summary "$TEXT")" >>"$RESULTS"
        echo "jsonl:$name $(cpu "$bin" --format jsonl "$TEXT")" >>"$RESULTS"
    done
done

echo "$(wc -l <"$TEXT") lines; CPU seconds (user + system), best and median of $RUNS rounds:"
sort -k1,1 -k2,2n "$RESULTS" | awk '
    { runs[$1] = runs[$1] " " $2; n[$1]++ }
    function pick(c, i,   v) { split(runs[c], v, " "); return v[i] }
    function best(c) { return pick(c, 1) }
    function median(c) { return pick(c, int((n[c] + 1) / 2)) }
    END {
        printf "  %-38s %6.2f  (median %.2f)\n", "tcpdump -nn -r", best("tcpdump"), median("tcpdump")
        split("summary jsonl", kinds, " ")
        split("release pgo", builds, " ")
        for (k = 1; k <= 2; k++) for (b = 1; b <= 2; b++) {
            c = kinds[k] ":" builds[b]
            if (!(c in n)) continue
            what = kinds[k] == "summary" ? "--summary" : "--format jsonl"
            goal = kinds[k] == "summary" ? 10 : 3
            printf "  %-38s %6.2f  (median %.2f): 1/%.1f of tcpdump (medians 1/%.1f); goal 1/%d\n", \
                "tcpexplain " what " (" builds[b] ")", best(c), median(c), \
                best("tcpdump") / best(c), median("tcpdump") / median(c), goal
        }
    }'

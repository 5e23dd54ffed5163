#!/usr/bin/env bash
# Peak memory (and time) of the release binary on inputs built to grow memory:
#   syn-100k    the first 100,000 of them (memory should be flat from here on)
#   syn-1m      a million connections that never close (one SYN each)
#   line-100m   one 100 MB line (a TCP head line whose tail never ends)
#   random-1g   1 GiB of random bytes
#   tcp+random  one TCP line, then 256 MiB of random bytes (continuation lines)
#   tcp+cont    one TCP line, then 2,000,000 indented lines (~195 MB): one record
#   bulk-100k   the first 100,000 lines of target/bench/bulk-1m.txt (if present)
#   bulk-1m     target/bench/bulk-1m.txt (tests/data/captures/make_bulk.sh makes it)
# each read with every output: `--summary`, and `--format` text, jsonl, json,
# markdown, html, and `--diagram` (output to /dev/null). The document formats
# are written as the items come: each open connection's rendered rows wait in
# a spool that moves to a temporary file past 8 MiB (in $TMPDIR; up to the
# size of the output). Peak RSS is /usr/bin/time -v's "Maximum resident set size".
#
# Usage: benches/memory.sh [NAME...]   (default: all inputs)
#        FORMATS="summary jsonl" benches/memory.sh bulk-1m   (some outputs only)
# Inputs are generated once into target/bench/ and reused. Each run is stopped
# after MEMORY_BENCH_TIMEOUT seconds (default 900); a "!" marks a stopped or failed run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
    echo "needs GNU time: apt-get install time" >&2
    exit 2
fi

cargo build --release --quiet
BIN=target/release/tcpexplain
DIR=target/bench
mkdir -p "$DIR"

make_input() {
    local name=$1 path=$DIR/$1.txt
    [ -s "$path" ] && return 0
    echo "generating $path" >&2
    case $name in
        syn-1m)
            # Distinct sources 10.a.b.c, one SYN each, to one server; time increasing.
            awk 'BEGIN {
                for (i = 0; i < 1000000; i++) {
                    us = 43200000000 + i * 37;
                    s = int(us / 1000000);
                    printf "%02d:%02d:%02d.%06d IP 10.%d.%d.%d.%d > 192.0.2.1.443: Flags [S], seq %.0f, win 64240, options [mss 1460,sackOK,TS val %d ecr 0,nop,wscale 7], length 0\n",
                        int(s / 3600), int(s / 60) % 60, s % 60, us % 1000000,
                        int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1024 + i % 60000,
                        (i * 2654435761) % 4294967296, i
                }
            }' >"$path"
            ;;
        syn-100k)
            make_input syn-1m
            head -n 100000 "$DIR/syn-1m.txt" >"$path"
            ;;
        line-100m)
            {
                printf '12:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:101, ack 1, win 502, length 100: HTTP: '
                head -c 100000000 /dev/zero | tr '\0' 'A'
                printf '\n'
            } >"$path"
            ;;
        random-1g)
            head -c 1G /dev/urandom >"$path"
            ;;
        tcp+random)
            {
                printf '12:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:101, ack 1, win 502, length 100\n'
                head -c 256M /dev/urandom
            } >"$path"
            ;;
        tcp+cont)
            {
                printf '12:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:101, ack 1, win 502, length 100\n'
                awk 'BEGIN { for (i = 0; i < 2000000; i++)
                    printf "\tcontinuation line %d of decoder output for the segment above, padded to about 100 bytes....\n", i }'
            } >"$path"
            ;;
        bulk-100k)
            [ -s "$DIR/bulk-1m.txt" ] || return 1
            head -n 100000 "$DIR/bulk-1m.txt" >"$path"
            ;;
        bulk-1m)
            [ -s "$path" ] || return 1
            ;;
    esac
}

# Each run is stopped after this many seconds (then its figures are those at the stop).
LIMIT=${MEMORY_BENCH_TIMEOUT:-900}

# Runs the binary on $1 with the remaining arguments; prints "RSS_MB SECONDS[!]"
# ("!" when the run failed or was stopped at the limit).
measure() {
    local input=$1
    shift
    local log mark=""
    log=$(mktemp)
    /usr/bin/time -v timeout "$LIMIT" "$BIN" "$@" "$input" >/dev/null 2>"$log" || mark="!"
    local kb wall
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$log")
    rm -f "$log"
    # m:ss.ss or h:mm:ss into seconds.
    local secs
    secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }')
    echo "$((kb / 1024)) $secs$mark"
}

NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
    NAMES=(syn-100k syn-1m line-100m random-1g tcp+random tcp+cont bulk-100k bulk-1m)
fi

FORMATS=(${FORMATS:-summary text jsonl json markdown html diagram})

# The arguments of one output.
args_of() {
    case $1 in
        summary) echo --summary ;;
        diagram) echo --diagram ;;
        *) echo --format "$1" ;;
    esac
}

printf '%-12s %6s %9s' input MB lines
for f in "${FORMATS[@]}"; do printf ' | %-15s' "$f"; done
printf '\n%-12s %6s %9s' "" "" ""
for f in "${FORMATS[@]}"; do printf ' | %-15s' "RSS MB, time s"; done
printf '\n'
for name in "${NAMES[@]}"; do
    if ! make_input "$name"; then
        printf '%-12s (skipped: no %s/bulk-1m.txt)\n' "$name" "$DIR"
        continue
    fi
    path=$DIR/$name.txt
    size=$(($(stat -c %s "$path") / 1000000))
    lines=$(wc -l <"$path")
    printf '%-12s %6s %9s' "$name" "$size" "$lines"
    for f in "${FORMATS[@]}"; do
        # shellcheck disable=SC2046
        read -r rss secs < <(measure "$path" $(args_of "$f"))
        printf ' | %6s %8s' "$rss" "$secs"
    done
    printf '\n'
done

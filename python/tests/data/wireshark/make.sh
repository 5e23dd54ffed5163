#!/usr/bin/env bash
# Wireshark's view of the new Python columns, for every capture in
# tests/data/captures: one TSV per capture, a row per frame (frame N is line N
# of the capture's nn.txt). Needs tshark; the files are committed, so the tests
# do not need it. Usage: python/tests/data/wireshark/make.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
captures=$(cd "$here/../../../../tests/data/captures" && pwd)
for pcap in "$captures"/*/capture.pcap; do
    name=$(basename "$(dirname "$pcap")")
    {
        printf 'frame\tstream\tbytes_in_flight\tack_rtt\tacks_frame\n'
        tshark -r "$pcap" -T fields -E separator=/t \
            -e frame.number -e tcp.stream -e tcp.analysis.bytes_in_flight \
            -e tcp.analysis.ack_rtt -e tcp.analysis.acks_frame 2>/dev/null
    } >"$here/$name.tsv"
done

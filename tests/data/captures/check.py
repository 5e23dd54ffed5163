#!/usr/bin/env python3
"""Check that a scenario's oracle.tsv has the intended shape.

    check.py SCENARIO_DIR...            exit 1 if a scenario misses its shape
    check.py --summary SCENARIO_DIR...  print a Markdown table of the captures
"""
import csv
import os
import sys

FLAG_NAMES = [
    "retransmission", "fast_retransmission", "spurious_retransmission",
    "out_of_order", "lost_segment", "ack_lost_segment", "duplicate_ack",
    "zero_window", "zero_window_probe", "zero_window_probe_ack", "window_full",
    "window_update", "keep_alive", "keep_alive_ack", "reused_ports",
]


def load(d):
    with open(os.path.join(d, "oracle.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        r["flags"] = set(r["tcp.flags.str"].replace("\u00b7", ""))
        r["an"] = {n for n in FLAG_NAMES if r.get("tcp.analysis." + n)}
        r["src"] = (r["ip.src"] or r["ipv6.src"], r["tcp.srcport"])
        for k in ("tcp.seq_raw", "tcp.ack_raw", "tcp.len"):
            r[k] = int(r[k] or 0)
        r["seq_raw"] = r["tcp.seq_raw"]
        r["ack_raw"] = r["tcp.ack_raw"]
        r["fin_next"] = (r["tcp.seq_raw"] + r["tcp.len"] + 1) & 0xFFFFFFFF
    return rows


def seq_ge(a, b):
    """a >= b in 32-bit sequence space."""
    return (a - b) & 0xFFFFFFFF < 1 << 31


def count(rows, flag):
    return sum(1 for r in rows if flag in r["an"])


def fins(rows):
    return [r for r in rows if "F" in r["flags"]]


def check(name, rows):
    """Return a list of problems (empty when the capture has the intended shape)."""
    p = []
    all_an = set().union(*(r["an"] for r in rows)) if rows else set()
    if not rows:
        return ["empty capture"]
    if len(rows) >= 100:
        p.append("%d packets (want < 100)" % len(rows))
    rst = [r for r in rows if "R" in r["flags"]]
    f = fins(rows)
    client = rows[0]["src"]

    def want(flag, n=1):
        if count(rows, flag) < n:
            p.append("want >= %d %s, got %d" % (n, flag, count(rows, flag)))

    def no_rst():
        if rst:
            p.append("unexpected RST")

    if name in ("three_way", "four_way", "ipv6", "simultaneous", "half_closed",
                "syn_retransmission", "retransmission", "keep_alive", "midstream",
                "out_of_order", "fast_retransmission", "zero_window", "window_full",
                "reused_ports", "spurious_retransmission", "capture_gap",
                "zero_window_probe"):
        no_rst()
        if len(f) < 2:
            p.append("want two FINs")
    if name == "three_way":
        tail = rows[-3:]
        if not ("F" in tail[0]["flags"] and tail[0]["src"] != client
                and "F" in tail[1]["flags"] and tail[1]["src"] == client
                and tail[1]["ack_raw"] == tail[0]["fin_next"]
                and tail[2]["flags"] == {"A"}):
            p.append("close is not server FIN, client FIN+ACK, ACK")
    if name in ("four_way",):
        tail = rows[-4:]
        if not ("F" in tail[0]["flags"] and tail[0]["src"] == client
                and tail[1]["flags"] == {"A"} and tail[1]["src"] != client
                and "F" in tail[2]["flags"] and tail[2]["src"] != client
                and tail[3]["flags"] == {"A"}):
            p.append("close is not FIN, ACK, FIN, ACK")
    if name == "ipv6":
        if not rows[0]["ipv6.src"]:
            p.append("not IPv6")
    if name == "simultaneous":
        if len(f) == 2:
            a, b = f
            if a["src"] == b["src"]:
                p.append("both FINs from one side")
            elif b["ack_raw"] == a["fin_next"] or a["ack_raw"] == b["fin_next"]:
                p.append("a FIN acknowledges the other FIN: not simultaneous")
    if name == "reset":
        if not rst or "R" not in rows[-1]["flags"]:
            p.append("want a final RST")
        if not any(r["tcp.len"] for r in rows):
            p.append("want data before the RST")
    if name == "refused":
        if len(rows) != 2 or rows[0]["flags"] != {"S"} or rows[1]["flags"] != {"R", "A"}:
            p.append("want SYN, RST+ACK")
    if name == "half_closed":
        cfin = [r for r in f if r["src"] == client]
        sfin = [r for r in f if r["src"] != client]
        if not cfin or not sfin:
            p.append("want a FIN from each side")
        else:
            i, j = rows.index(cfin[0]), rows.index(sfin[0])
            data_after = [r for r in rows[i:j] if r["src"] != client and r["tcp.len"]]
            if i > j or len(data_after) < 2:
                p.append("want server data after the client's FIN")
    if name == "open":
        if f or rst:
            p.append("want no FIN/RST")
    if name == "spurious_retransmission":
        want("spurious_retransmission")
    if name == "midstream":
        if "S" in rows[0]["flags"]:
            p.append("capture starts with a SYN")
    if name == "retransmission":
        want("retransmission", 2)
        if count(rows, "fast_retransmission"):
            p.append("unexpected fast retransmission")
    if name == "fast_retransmission":
        want("fast_retransmission")
        want("duplicate_ack", 3)
    if name == "out_of_order":
        want("out_of_order")
    if name == "zero_window":
        want("zero_window")
        want("window_update")
        want("keep_alive", 2)
    if name == "window_full":
        want("window_full")
    if name == "capture_gap":
        # one client data frame removed from the capture: tshark sees a hole
        # in the client's sequence space, then a server ACK for bytes it never
        # saw; the peers themselves lost nothing, so nothing is retransmitted
        want("lost_segment")
        want("ack_lost_segment")
        lost = [r for r in rows if "lost_segment" in r["an"]]
        acks = [r for r in rows if "ack_lost_segment" in r["an"]]
        if len(lost) != 1 or lost[0]["src"] != client:
            p.append("want exactly one lost_segment, on a client segment")
        elif acks:
            i = rows.index(lost[0])
            before = [r for r in rows[:i] if r["src"] == client and r["tcp.len"]]
            gap_end = lost[0]["seq_raw"]
            if not before or seq_ge(before[-1]["seq_raw"] + before[-1]["tcp.len"], gap_end):
                p.append("no missing bytes before the lost_segment frame")
            if acks[0]["src"] == client or not seq_ge(acks[0]["ack_raw"], gap_end):
                p.append("the ack_lost_segment ACK does not cover the missing bytes")
        if count(rows, "retransmission"):
            p.append("unexpected retransmission: the gap must be in the capture only")
    if name == "zero_window_probe":
        # 1-byte probes at the next expected sequence number, each answered by
        # an ACK that keeps the window at 0 and does not take the byte
        if len(rows) >= 60:
            p.append("%d packets (want < 60)" % len(rows))
        want("zero_window")
        want("zero_window_probe", 2)
        want("zero_window_probe_ack", 2)
        want("window_update")
        if count(rows, "keep_alive"):
            p.append("unexpected keep_alive (Linux-style empty probe)")
        for i, r in enumerate(rows):
            if "zero_window_probe" not in r["an"]:
                continue
            if r["src"] != client or r["tcp.len"] != 1:
                p.append("frame %s: probe is not a 1-byte client segment" % r["frame.number"])
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            if (nxt is None or "zero_window_probe_ack" not in nxt["an"]
                    or nxt["ack_raw"] != r["seq_raw"] or nxt["tcp.window_size_value"] != "0"):
                p.append("frame %s: probe not answered by a win 0 ACK that leaves the byte "
                         "unacknowledged" % r["frame.number"])
    if name == "keep_alive":
        want("keep_alive", 2)
        want("keep_alive_ack", 2)
    if name == "syn_retransmission":
        syns = [r for r in rows if r["flags"] == {"S"}]
        if len(syns) < 3 or count(rows, "retransmission") < 2:
            p.append("want >= 3 SYNs, the later ones flagged as retransmissions")
    times = [float(r["frame.time_epoch"]) for r in rows]
    if name in ("long_rtt", "syn_linear", "midstream_cut", "fin_crossing"):
        no_rst()
        if len(f) < 2:
            p.append("want two FINs")
    if name == "long_rtt":
        want("retransmission")
        synack = next((i for i, r in enumerate(rows) if r["flags"] == {"S", "A"}), None)
        if synack is None or times[synack] - times[0] < 0.5:
            p.append("want a handshake round trip of 0.5 s or more")
    if name == "syn_linear":
        syns = [t for r, t in zip(rows, times) if r["flags"] == {"S"}]
        gaps = [b - a for a, b in zip(syns, syns[1:])]
        if len(syns) < 4 or not all(0.8 < g < 1.3 for g in gaps):
            p.append("want >= 4 SYNs about 1 s apart, got gaps %s" % gaps)
    if name == "midstream_cut":
        first, second = rows[0], rows[1]
        if "S" in first["flags"]:
            p.append("capture starts with a SYN")
        if not first["tcp.len"] or second["src"] == first["src"] or second["flags"] != {"A"}:
            p.append("want data first, then the other side's bare ACK")
        if count(rows, "lost_segment") or count(rows, "ack_lost_segment"):
            p.append("unexpected lost_segment / ack_lost_segment")
    if name == "half_close_end":
        no_rst()
        if len(f) != 1 or f[0]["src"] != client:
            p.append("want one FIN, the client's")
        else:
            i = rows.index(f[0])
            if len([r for r in rows[i:] if r["src"] != client and r["tcp.len"]]) < 2:
                p.append("want server data after the client's FIN")
    if name == "fin_crossing":
        cfin = [r for r in f if r["src"] == client]
        if cfin:
            i = rows.index(cfin[0])
            resent = [r for r in rows[i:] if r["src"] != client and "retransmission" in r["an"]]
            if not resent:
                p.append("want a server retransmission after the client's FIN")
    if name == "stall":
        if f or rst:
            p.append("want no FIN/RST")
        resent = [r for r in rows if r["src"] != client and "retransmission" in r["an"]]
        if len(resent) < 3:
            p.append("want >= 3 server retransmissions, got %d" % len(resent))
    if name == "keepalive_server":
        want("keep_alive", 2)
        want("keep_alive_ack", 2)
        cfin = [r for r in f if r["src"] == client]
        if not cfin or rows.index(cfin[0]) + 1 >= len(rows):
            p.append("want a client FIN")
        else:
            nxt = rows[rows.index(cfin[0]) + 1]
            if nxt["src"] != client or "R" not in nxt["flags"]:
                p.append("want the client's RST right after its FIN")
    if name in ("probes", "probes_one_way"):
        answers = [r for r in rows if r["flags"] == {"R", "A"} and r["src"][0] == "10.77.0.2"]
        if len(answers) != 4:
            p.append("want four RST+ACK answers, got %d" % len(answers))
        if name == "probes" and len(rows) != 8:
            p.append("want four probes and four answers, got %d rows" % len(rows))
        if name == "probes_one_way" and len(rows) != 4:
            p.append("want only the four answers, got %d rows" % len(rows))
    if name == "icmp_reject":
        syns = [r for r in rows if r["flags"] == {"S"}]
        if len(syns) != 2 or len(rows) != 2:
            p.append("want two SYNs and no other TCP frame, got %d" % len(rows))
    if name == "reused_ports":
        want("reused_ports")
        if len({r["tcp.stream"] for r in rows}) != 2:
            p.append("want two streams")
    return p


def summary(dirs):
    print("| scenario | packets | pcap bytes | tshark analysis flags (frame numbers) |")
    print("|---|---:|---:|---|")
    for d in dirs:
        rows = load(d)
        parts = []
        for n in FLAG_NAMES:
            frames = [r["frame.number"] for r in rows if n in r["an"]]
            if frames:
                parts.append("%s (%s)" % (n, ",".join(frames)))
        size = os.path.getsize(os.path.join(d, "capture.pcap"))
        print("| %s | %d | %d | %s |" % (os.path.basename(d.rstrip("/")), len(rows), size,
                                         "; ".join(parts) or "none"))


def main():
    args = sys.argv[1:]
    if args and args[0] == "--summary":
        summary(args[1:])
        return 0
    bad = 0
    for d in args:
        name = os.path.basename(d.rstrip("/"))
        problems = check(name, load(d))
        print("%s: %s" % (name, "ok" if not problems else "; ".join(problems)))
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

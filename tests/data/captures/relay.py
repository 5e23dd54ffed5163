#!/usr/bin/env python3
"""User-space Ethernet relay between two interfaces (used instead of netem).

Runs in the middle network namespace and copies every frame received on one
interface to the other one through AF_PACKET sockets.  It can delay frames,
drop selected TCP segments and hold a TCP segment back until the next one in
the same direction has been forwarded (reordering).

Selectors have the form DIR:KIND:N[,N...]
  DIR   c2s (frames arriving on --a, i.e. from the client) or s2c
  KIND  data  TCP segment with payload
        syn   SYN without ACK
        tcp   any TCP segment
  N     1-based index among the segments of that direction and kind
        (retransmissions are counted too)
"""
import argparse
import heapq
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def parse_tcp(frame):
    """Return (flags, payload_len) for a TCP frame, or None."""
    if len(frame) < 14:
        return None
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 6:
            return None
        total = int.from_bytes(frame[16:18], "big")
        tcp = 14 + ihl
        doff = (frame[tcp + 12] >> 4) * 4
        return frame[tcp + 13], total - ihl - doff
    if ethertype == 0x86DD:
        if frame[20] != 6:
            return None
        plen = int.from_bytes(frame[18:20], "big")
        tcp = 54
        doff = (frame[tcp + 12] >> 4) * 4
        return frame[tcp + 13], plen - doff
    return None


def parse_selector(text):
    d, kind, nums = text.split(":")
    assert d in ("c2s", "s2c"), d
    assert kind in ("data", "syn", "tcp"), kind
    return d, kind, {int(n) for n in nums.split(",")}


def kinds_of(info):
    if info is None:
        return []
    flags, plen = info
    out = ["tcp"]
    if plen > 0:
        out.append("data")
    if flags & 0x02 and not flags & 0x10:
        out.append("syn")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="client-side interface")
    ap.add_argument("--b", required=True, help="server-side interface")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay, both directions")
    ap.add_argument("--drop", action="append", default=[], help="selector of segments to drop")
    ap.add_argument("--hold", action="append", default=[], help="selector of segments to hold back")
    ap.add_argument("--hold-timeout-ms", type=float, default=500.0)
    args = ap.parse_args()

    drops = [parse_selector(s) for s in args.drop]
    holds = [parse_selector(s) for s in args.hold]
    delay = args.delay_ms / 1000.0

    socks = {}
    for d, ifname in (("c2s", args.a), ("s2c", args.b)):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((ifname, 0))
        s.setblocking(False)
        socks[d] = s
    out_of = {"c2s": socks["s2c"], "s2c": socks["c2s"]}
    dir_of = {socks["c2s"].fileno(): "c2s", socks["s2c"].fileno(): "s2c"}

    counters = {(d, k): 0 for d in ("c2s", "s2c") for k in ("data", "syn", "tcp")}
    queue = []  # (due, seq, direction, frame)
    held = {}  # direction -> (deadline, frame)
    seq = 0
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def log(msg):
        print("%.6f %s" % (time.time(), msg), file=sys.stderr, flush=True)

    log("relay up %s <-> %s delay=%.1fms drop=%s hold=%s" % (args.a, args.b, args.delay_ms, args.drop, args.hold))
    while running:
        now = time.monotonic()
        timeout = 0.5
        if queue:
            timeout = min(timeout, max(0.0, queue[0][0] - now))
        for d, (deadline, _) in held.items():
            timeout = min(timeout, max(0.0, deadline - now))
        try:
            ready, _, _ = select.select(list(socks.values()), [], [], timeout)
        except InterruptedError:
            continue
        for s in ready:
            d = dir_of[s.fileno()]
            while True:
                try:
                    frame, addr = s.recvfrom(65600)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                now = time.monotonic()
                kinds = kinds_of(parse_tcp(frame))
                action = "pass"
                for k in kinds:
                    counters[(d, k)] += 1
                for sd, sk, nums in drops:
                    if sd == d and sk in kinds and counters[(d, sk)] in nums:
                        action = "drop %s:%s:%d" % (sd, sk, counters[(d, sk)])
                if action == "pass":
                    for sd, sk, nums in holds:
                        if sd == d and sk in kinds and counters[(d, sk)] in nums and d not in held:
                            action = "hold %s:%s:%d" % (sd, sk, counters[(d, sk)])
                if action.startswith("drop"):
                    log(action)
                    continue
                if action.startswith("hold"):
                    log(action)
                    held[d] = (now + args.hold_timeout_ms / 1000.0, frame)
                    continue
                due = now + delay
                heapq.heappush(queue, (due, seq, d, frame))
                seq += 1
                if d in held and kinds:
                    # release the held segment right after this one
                    _, hframe = held.pop(d)
                    heapq.heappush(queue, (due, seq, d, hframe))
                    seq += 1
                    log("release held %s after next segment" % d)
        now = time.monotonic()
        for d in list(held):
            deadline, hframe = held[d]
            if deadline <= now:
                del held[d]
                heapq.heappush(queue, (now + delay, seq, d, hframe))
                seq += 1
                log("release held %s on timeout" % d)
        while queue and queue[0][0] <= time.monotonic():
            _, _, d, frame = heapq.heappop(queue)
            try:
                out_of[d].send(frame)
            except OSError as e:
                log("send error %s: %s" % (d, e))
    log("relay down")


if __name__ == "__main__":
    main()

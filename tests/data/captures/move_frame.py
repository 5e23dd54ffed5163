#!/usr/bin/env python3
"""Move one frame of a pcap (classic format) to just after another, with the
timestamp the capture would then have given it (1 µs after that frame).

    move_frame.py CAPTURE.pcap FRAME AFTER

Models a capture point that saw one packet late (a SPAN port that delays one
direction): the packets are real, only the order the capture saw them in changes.
"""
import struct
import sys


def main(path, frame, after):
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    header, at, records = data[:24], 24, []
    while at < len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[at:at + 16])
        records.append([sec, frac, incl, orig, data[at + 16:at + 16 + incl]])
        at += 16 + incl
    moved = records.pop(frame - 1)
    anchor = records[after - 2]  # its index shifted down by the pop
    step = 1000 if nano else 1
    per_sec = 10**9 if nano else 10**6
    moved[0], moved[1] = anchor[0] + (anchor[1] + step) // per_sec, (anchor[1] + step) % per_sec
    records.insert(after - 1, moved)
    with open(path, "wb") as out:
        out.write(header)
        for sec, frac, incl, orig, body in records:
            out.write(struct.pack(endian + "IIII", sec, frac, incl, orig) + body)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

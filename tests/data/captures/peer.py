#!/usr/bin/env python3
"""Client and server ends of the capture scenarios.

    peer.py server SCENARIO --addr ADDR --port PORT [--ready FILE] [...]
    peer.py client SCENARIO --addr ADDR --port PORT [...]

--signal FILE / --wait FILE let make.sh start or stop tcpdump at a chosen
point of the client's run (midstream, open).  --deadline is an absolute
time.time() value at which both ends close (simultaneous).
"""
import argparse
import os
import socket
import struct
import sys
import time


def log(msg):
    print("%.6f %s" % (time.time(), msg), file=sys.stderr, flush=True)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def touch(path):
    if path:
        with open(path, "w") as f:
            f.write("%f\n" % time.time())


def wait_file(path, timeout=30.0):
    if not path:
        return
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            raise SystemExit("timeout waiting for %s" % path)
        time.sleep(0.01)


def sleep_until(deadline):
    while True:
        left = deadline - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 0.05) if left > 0.002 else 0)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def recv_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf


def recv_all(s, bufsize=65536):
    total = 0
    while True:
        chunk = s.recv(bufsize)
        if not chunk:
            return total
        total += len(chunk)


# ---------------------------------------------------------------- server side

def new_socket(args):
    s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    except OSError as e:
        log("cubic not available: %s" % e)
    return s


def listener(args):
    s = new_socket(args)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    if args.maxseg:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.maxseg)
    s.bind((args.addr, args.port))
    s.listen(8)
    return s


def reply_for(line):
    return b"200 ok " + line.strip()[:32] + b"\n"


def serve_lines(c, close_delay=0.0):
    """Answer every request line; close when the client has closed."""
    while True:
        line = recv_line(c)
        if not line:
            break
        c.sendall(reply_for(line))
    if close_delay:
        time.sleep(close_delay)
    c.close()


def server(args):
    ls = listener(args)
    touch(args.ready)
    sc = args.scenario
    conns = 2 if sc == "reused_ports" else 1
    for _ in range(conns):
        c, peer = ls.accept()
        log("accepted %s" % (peer,))
        if sc in ("three_way", "reused_ports"):
            line = recv_line(c)
            c.sendall(reply_for(line))
            c.close()  # server closes first, right after the reply
        elif sc == "four_way":
            serve_lines(c, close_delay=0.15)
        elif sc == "simultaneous":
            line = recv_line(c)
            c.sendall(reply_for(line))
            sleep_until(args.deadline)
            c.close()
            log("closed at deadline")
            time.sleep(1.0)
        elif sc == "reset":
            try:
                for i in range(100):
                    c.sendall(b"chunk %03d " % i + b"x" * 50 + b"\n")
                    time.sleep(0.02)
            except OSError as e:
                log("send failed: %s" % e)
            c.close()
        elif sc == "half_closed":
            line = recv_line(c)
            rest = recv_all(c)  # returns at the client's FIN
            log("request %r, EOF after %d more bytes" % (line, rest))
            for i in range(5):
                time.sleep(0.1)
                c.sendall(b"part %d of 5 " % (i + 1) + b"y" * 40 + b"\n")
            time.sleep(0.1)
            c.close()
        elif sc in ("fast_retransmission", "out_of_order"):
            n = recv_all(c)
            c.sendall(b"got %d bytes\n" % n)
            c.close()
        elif sc in ("zero_window", "window_full"):
            time.sleep(args.stall)
            total = 0
            while True:
                chunk = c.recv(args.read_chunk)
                if not chunk:
                    break
                total += len(chunk)
                if args.read_pause:
                    time.sleep(args.read_pause)
            log("read %d bytes" % total)
            c.sendall(b"got %d bytes\n" % total)
            c.close()
        else:
            serve_lines(c)
    ls.close()


# ---------------------------------------------------------------- client side

def connect(args, bind_port=None):
    s = new_socket(args)
    if args.maxseg:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.maxseg)
    if args.nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if bind_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.src, bind_port))
    t = time.time()
    s.connect((args.addr, args.port))
    log("connected in %.3fs from %s" % (time.time() - t, s.getsockname()))
    return s


def request(s, text):
    s.sendall(text.encode() + b"\n")
    return recv_line(s)


def client(args):
    sc = args.scenario
    if sc == "refused":
        s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
        try:
            s.connect((args.addr, args.port))
        except ConnectionRefusedError as e:
            log("refused: %s" % e)
        s.close()
        return
    if sc == "reused_ports":
        for i in range(2):
            s = connect(args, bind_port=args.src_port)
            s.sendall(b"GET /conn%d\n" % (i + 1))
            log("reply %r" % recv_all(s))
            s.close()
            time.sleep(1.0)
        return

    s = connect(args)
    if sc == "three_way":
        s.sendall(b"GET /index\n")
        recv_all(s)  # until the server's FIN
        s.close()
    elif sc in ("four_way", "ipv6"):
        request(s, "GET /index")
        s.close()  # client closes first
    elif sc == "simultaneous":
        request(s, "GET /index")
        sleep_until(args.deadline)
        s.close()
        log("closed at deadline")
        time.sleep(1.0)
    elif sc == "reset":
        for _ in range(5):
            recv_line(s)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # abortive close: RST
    elif sc == "half_closed":
        s.sendall(b"GET /stream\n")
        s.shutdown(socket.SHUT_WR)
        n = recv_all(s)
        log("received %d bytes after half-close" % n)
        s.close()
    elif sc == "open":
        for i in range(3):
            request(s, "GET /item/%d" % i)
            time.sleep(0.05)
        touch(args.signal)
        wait_file(args.wait)
        s.close()
    elif sc == "midstream":
        request(s, "GET /first")
        touch(args.signal)
        wait_file(args.wait)
        for i in range(2):
            request(s, "GET /next/%d" % i)
            time.sleep(0.05)
        s.close()
    elif sc in ("retransmission", "spurious_retransmission"):
        request(s, "GET /one")
        time.sleep(0.1)
        request(s, "GET /two")  # dropped once by the relay
        time.sleep(0.05)
        s.close()
    elif sc in ("fast_retransmission", "out_of_order", "zero_window", "window_full"):
        payload = bytes((ord("a") + i % 26) for i in range(args.size))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        log("reply %r" % recv_line(s))
        s.close()
    elif sc == "keep_alive":
        request(s, "GET /index")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
        time.sleep(args.idle)
        request(s, "GET /again")
        s.close()
    elif sc == "syn_retransmission":
        request(s, "GET /index")
        s.close()
    else:
        raise SystemExit("unknown scenario " + sc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=("server", "client"))
    ap.add_argument("scenario")
    ap.add_argument("--addr", required=True, help="server address")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--src", default="", help="client source address (reused_ports)")
    ap.add_argument("--src-port", type=int, default=40000)
    ap.add_argument("--ready", help="server: file created once listening")
    ap.add_argument("--signal", help="client: file created at the checkpoint")
    ap.add_argument("--wait", help="client: file to wait for after the checkpoint")
    ap.add_argument("--deadline", type=float, default=0.0)
    ap.add_argument("--maxseg", type=int, default=0)
    ap.add_argument("--nodelay", action="store_true")
    ap.add_argument("--rcvbuf", type=int, default=0)
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--read-chunk", type=int, default=65536)
    ap.add_argument("--read-pause", type=float, default=0.0)
    ap.add_argument("--idle", type=float, default=3.5)
    args = ap.parse_args()
    if args.role == "server":
        server(args)
    else:
        client(args)


if __name__ == "__main__":
    main()

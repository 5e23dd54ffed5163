#!/usr/bin/env python3
"""Client and server ends of the capture scenarios.

    peer.py server SCENARIO --addr ADDR --port PORT [--ready FILE] [...]
    peer.py client SCENARIO --addr ADDR --port PORT [...]

--signal FILE / --wait FILE let make.sh start or stop tcpdump at a chosen
point of the client's run (midstream, open).  --deadline is an absolute
time.time() value at which both ends close (simultaneous).
The client of zero_window_probe is a user-space TCP implementation on an
AF_PACKET socket (RawTcpClient, --iface, --src), not a kernel socket.
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
        elif sc in ("fast_retransmission", "out_of_order", "capture_gap", "ack_before_data"):
            n = recv_all(c)
            c.sendall(b"got %d bytes\n" % n)
            c.close()
        elif sc in ("zero_window", "window_full", "zero_window_probe"):
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
        elif sc == "long_rtt":
            # answer at once, acknowledging at once (TCP_QUICKACK after every read)
            while True:
                quickack(c)
                line = recv_line(c)
                quickack(c)
                if not line:
                    break
                c.sendall(reply_for(line))
            c.close()
        elif sc == "midstream_cut":
            line = recv_line(c)
            for i in range(4):
                c.sendall(b"chunk %d " % i + b"z" * 60 + b"\n")
                time.sleep(0.05)
            serve_lines(c)
        elif sc == "half_close_end":
            line = recv_line(c)
            rest = recv_all(c)  # returns at the client's FIN
            log("request %r, EOF after %d more bytes" % (line, rest))
            for i in range(6):
                time.sleep(0.2)
                c.sendall(b"part %d " % (i + 1) + b"y" * 40 + b"\n")
            time.sleep(args.idle)  # still open when the capture stops
            c.close()
        elif sc == "fin_crossing":
            line = recv_line(c)
            c.sendall(b"w" * 2000)  # four 500-byte segments at once
            rest = recv_all(c)  # the client's FIN comes while segment 3 is resent
            log("EOF after %d more bytes" % rest)
            c.close()
        elif sc == "stall":
            line = recv_line(c)
            c.sendall(b"s" * 3000)  # the relay drops all but the first segment
            time.sleep(args.idle)
            c.close()
        elif sc == "keepalive_server":
            # keep-alives from the server side, 1 s after the handshake, then every second
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
            c.sendall(b"hello\n")  # never read by the client: its close aborts
            rest = recv_all(c)
            log("EOF after %d bytes" % rest)
            c.close()
        else:
            serve_lines(c)
    ls.close()


def quickack(s):
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except OSError:
        pass


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
    if sc == "zero_window_probe":
        raw_client(args)
        return
    if sc in ("probes", "probes_one_way"):
        probes(args)
        return
    if sc == "icmp_reject":
        for port in (args.port, args.port + 1):
            s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
            t = time.time()
            try:
                s.connect((args.addr, port))
            except OSError as e:
                log("port %d: %s after %.3fs" % (port, e, time.time() - t))
            s.close()
            time.sleep(0.3)
        return
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
    elif sc in ("fast_retransmission", "out_of_order", "zero_window", "window_full",
                "capture_gap", "ack_before_data"):
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
    elif sc in ("syn_retransmission", "syn_linear"):
        request(s, "GET /index")
        s.close()
    elif sc == "long_rtt":
        quickack(s)
        for i in range(3):
            s.sendall(b"GET /far/%d\n" % i)
            quickack(s)
            log("reply %r" % recv_line(s))
            quickack(s)
            time.sleep(0.3)
        s.close()
    elif sc == "midstream_cut":
        log("reply %r" % request(s, "GET /many"))
        for _ in range(3):
            recv_line(s)
        time.sleep(0.3)
        log("reply %r" % request(s, "GET /more"))
        s.close()
    elif sc == "half_close_end":
        s.sendall(b"GET /stream\n")
        s.shutdown(socket.SHUT_WR)
        touch(args.signal)  # make.sh stops the capture before the server closes
        n = recv_all(s)
        log("received %d bytes after half-close" % n)
        s.close()
    elif sc == "fin_crossing":
        s.sendall(b"GET /four\n")
        first = s.recv(100)
        log("first bytes %d; closing my side" % len(first))
        s.shutdown(socket.SHUT_WR)  # FIN while the server still resends
        log("then %d bytes" % recv_all(s))
        s.close()
    elif sc == "stall":
        s.sendall(b"GET /big\n")
        touch(args.signal)  # make.sh stops the capture while the server resends
        wait_file(args.wait)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    elif sc == "keepalive_server":
        time.sleep(args.idle)
        s.shutdown(socket.SHUT_WR)  # FIN ...
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # ... then RST: the server's "hello" was never read
    else:
        raise SystemExit("unknown scenario " + sc)


# ------------------------------------------------- user-space client (raw)
#
# zero_window_probe needs a sender that probes a zero window with one byte of
# new data, which Linux never does (its probes are empty segments carrying
# snd_una - 1).  This minimal TCP client builds its Ethernet/IPv4/TCP frames
# itself and sends them on an AF_PACKET socket.  Its address (--src) is not
# configured on the interface, so the client namespace's kernel drops the
# server's segments silently instead of answering them with RSTs; the client
# answers ARP requests for that address itself.

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def inet_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def seq_add(a, n):
    return (a + n) & 0xFFFFFFFF


def seq_diff(a, b):
    """a - b in sequence space, as a signed number."""
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


class RawTcpClient:
    def __init__(self, iface, src, dst, dport, mss, window=64240):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.mac = self.sock.getsockname()[4]
        self.src = socket.inet_aton(src)
        self.dst = socket.inet_aton(dst)
        self.sport = int.from_bytes(os.urandom(2), "big") % 20000 + 40000
        self.dport = dport
        self.mss = mss
        self.window = window
        self.ip_id = int.from_bytes(os.urandom(2), "big")
        self.peer_mac = None
        self.iss = int.from_bytes(os.urandom(4), "big")
        self.snd_una = self.snd_nxt = self.iss
        self.rcv_nxt = 0
        self.peer_wnd = 0
        self.peer_mss = 536
        self.received = b""
        self.peer_fin = False

    # -- frames
    def send_frame(self, dst_mac, ethertype, payload):
        self.sock.send(dst_mac + self.mac + struct.pack("!H", ethertype) + payload)

    def arp(self, op, target_mac, target_ip):
        body = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, op, self.mac, self.src,
                           target_mac, target_ip)
        self.send_frame(b"\xff" * 6 if op == 1 else target_mac, ETH_P_ARP, body)

    def send_tcp(self, flags, seq, payload=b"", options=b""):
        tcp_len = 20 + len(options) + len(payload)
        hdr = struct.pack("!HHIIBBHHH", self.sport, self.dport, seq,
                          self.rcv_nxt if flags & TH_ACK else 0,
                          (20 + len(options)) // 4 << 4, flags, self.window, 0, 0)
        seg = hdr + options + payload
        pseudo = self.src + self.dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, tcp_len)
        csum = inet_sum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", csum) + seg[18:]
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, self.ip_id, 0x4000, 64,
                         socket.IPPROTO_TCP, 0, self.src, self.dst)
        ip = ip[:10] + struct.pack("!H", inet_sum(ip)) + ip[12:]
        self.send_frame(self.peer_mac, ETH_P_IP, ip + seg)

    def recv(self, timeout):
        """Next TCP segment of this connection as a dict, or None on timeout.

        Answers ARP requests for our address on the way."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                frame, addr = self.sock.recvfrom(65600)
            except socket.timeout:
                return None
            if addr[2] == PACKET_OUTGOING or len(frame) < 42:
                continue
            etype = int.from_bytes(frame[12:14], "big")
            if etype == ETH_P_ARP:
                op, sha, spa, _, tpa = struct.unpack("!6xH6s4s6s4s", frame[14:42])
                if op == 1 and tpa == self.src:
                    self.arp(2, sha, spa)
                elif op == 2 and spa == self.dst:
                    self.peer_mac = sha
                continue
            if etype != ETH_P_IP or frame[23] != socket.IPPROTO_TCP:
                continue
            if frame[26:30] != self.dst or frame[30:34] != self.src:
                continue
            ihl = (frame[14] & 0x0F) * 4
            total = int.from_bytes(frame[16:18], "big")
            t = 14 + ihl
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", frame[t:t + 16])
            if sport != self.dport or dport != self.sport:
                continue
            doff = (off >> 4) * 4
            opts = frame[t + 20:t + doff]
            return {"seq": seq, "ack": ack, "flags": flags, "win": win, "opts": opts,
                    "data": frame[t + doff:14 + total]}

    def resolve(self):
        for _ in range(5):
            self.arp(1, b"\0" * 6, self.dst)
            end = time.time() + 1.0
            while self.peer_mac is None and time.time() < end:
                self.recv(0.05)
            if self.peer_mac:
                return
        raise SystemExit("no ARP reply from the server")

    # -- TCP
    def on_segment(self, seg):
        """Process the peer's segment: ACK, window, data, FIN."""
        if seg["flags"] & TH_RST:
            raise SystemExit("connection reset by the server")
        if seg["flags"] & TH_ACK and 0 <= seq_diff(seg["ack"], self.snd_una) <= seq_diff(self.snd_nxt, self.snd_una):
            self.snd_una = seg["ack"]
            self.peer_wnd = seg["win"]
        answer = False
        if seg["data"] or seg["flags"] & TH_FIN:
            if seg["seq"] == self.rcv_nxt:
                self.received += seg["data"]
                self.rcv_nxt = seq_add(self.rcv_nxt, len(seg["data"]))
                if seg["flags"] & TH_FIN:
                    self.rcv_nxt = seq_add(self.rcv_nxt, 1)
                    self.peer_fin = True
            answer = True  # acknowledge every data segment or FIN at once
        if answer:
            self.send_tcp(TH_ACK, self.snd_nxt)

    def connect(self):
        self.resolve()
        for _ in range(4):
            self.send_tcp(TH_SYN, self.iss, options=struct.pack("!BBH", 2, 4, self.mss))
            seg = self.recv(1.0)
            if seg and seg["flags"] & (TH_SYN | TH_ACK) == TH_SYN | TH_ACK:
                break
        else:
            raise SystemExit("no SYN-ACK")
        opts = seg["opts"]
        i = 0
        while i < len(opts):
            kind = opts[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if kind == 2:
                self.peer_mss = int.from_bytes(opts[i + 2:i + 4], "big")
            i += max(opts[i + 1], 2)
        self.rcv_nxt = seq_add(seg["seq"], 1)
        self.snd_una = self.snd_nxt = seq_add(self.iss, 1)
        self.peer_wnd = seg["win"]
        self.send_tcp(TH_ACK, self.snd_nxt)
        log("connected from %s:%d, server window %d, mss %d"
            % (socket.inet_ntoa(self.src), self.sport, self.peer_wnd, self.peer_mss))

    def send_all(self, payload, probe_first=0.2, probes=3):
        """Send payload and a FIN, probing a zero window with one new byte."""
        start = seq_add(self.iss, 1)
        fin_seq = seq_add(start, len(payload))
        mss = min(self.mss, self.peer_mss)
        probe_wait = probe_first
        last_progress = time.time()
        sent_probes = 0
        while seq_diff(self.snd_una, fin_seq) <= 0:  # until the FIN is acknowledged
            # send what the offered window allows
            right = seq_add(self.snd_una, self.peer_wnd)
            while seq_diff(self.snd_nxt, fin_seq) < 0 and seq_diff(right, self.snd_nxt) > 0:
                off = seq_diff(self.snd_nxt, start)
                n = min(mss, seq_diff(right, self.snd_nxt), len(payload) - off)
                flags = TH_ACK
                if off + n == len(payload):
                    flags |= TH_PSH | TH_FIN
                elif seq_diff(right, seq_add(self.snd_nxt, n)) <= 0:
                    flags |= TH_PSH
                self.send_tcp(flags, self.snd_nxt, payload[off:off + n])
                self.snd_nxt = seq_add(self.snd_nxt, n + (1 if flags & TH_FIN else 0))
            if seq_diff(self.snd_nxt, fin_seq) < 0 and self.peer_wnd == 0 and self.snd_una == self.snd_nxt:
                # persist state: probe the zero window with the next byte
                seg = self.recv(probe_wait)
                if seg:
                    self.on_segment(seg)
                    continue
                if sent_probes >= probes:
                    probe_wait = 5.0  # wait for the window update
                    continue
                off = seq_diff(self.snd_nxt, start)
                log("zero window probe %d, seq %d" % (sent_probes + 1, off + 1))
                self.send_tcp(TH_ACK | TH_PSH, self.snd_nxt, payload[off:off + 1])
                sent_probes += 1
                probe_wait *= 2
                seg = self.recv(probe_wait)
                if seg:
                    una = self.snd_una
                    self.on_segment(seg)
                    if seq_diff(self.snd_una, una) > 0:  # the probe byte was accepted
                        self.snd_nxt = self.snd_una
                continue
            seg = self.recv(1.0)
            if seg:
                una = self.snd_una
                self.on_segment(seg)
                if self.snd_una != una:
                    last_progress = time.time()
            elif time.time() - last_progress > 1.0 and self.snd_una != self.snd_nxt:
                log("timeout, resending from snd_una")
                self.snd_nxt = self.snd_una
                last_progress = time.time()

    def finish(self, timeout=5.0):
        """Receive the server's reply until its FIN, then linger briefly."""
        end = time.time() + timeout
        while not self.peer_fin and time.time() < end:
            seg = self.recv(end - time.time())
            if seg:
                self.on_segment(seg)
        linger = time.time() + 0.3
        while time.time() < linger:
            seg = self.recv(linger - time.time())
            if seg:
                self.on_segment(seg)
        return self.received


def probes(args):
    """Port-scan probes to closed ports (nothing listens on args.port + 0..3):
    Xmas (FIN, PSH, URG), NULL (no flags), FIN alone, then a SYN. Each is a
    bare TCP header on a raw socket (the kernel adds the IP header); the
    server's kernel answers each with RST+ACK, seq 0."""
    src = args.src
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    kinds = [("xmas", TH_FIN | TH_PSH | 0x20), ("null", 0), ("fin", TH_FIN), ("syn", TH_SYN)]
    for i, (name, flags) in enumerate(kinds):
        sport, dport = 45000 + i, args.port + i
        seq = 0x1000_0000 * (i + 1) + 12345
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 1024, 0, 0)
        pseudo = socket.inet_aton(src) + socket.inet_aton(args.addr) + struct.pack("!BBH", 0, 6, len(hdr))
        csum = inet_sum(pseudo + hdr)
        hdr = hdr[:16] + struct.pack("!H", csum) + hdr[18:]
        s.sendto(hdr, (args.addr, 0))
        log("probe %s to port %d, seq %d" % (name, dport, seq))
        time.sleep(0.05)
    s.close()


def raw_client(args):
    c = RawTcpClient(args.iface, args.src, args.addr, args.port, args.maxseg or 536)
    c.connect()
    payload = bytes((ord("a") + i % 26) for i in range(args.size))
    c.send_all(payload, probes=args.probes)
    log("reply %r" % c.finish())


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
    ap.add_argument("--iface", default="cli0", help="client: interface of the raw client")
    ap.add_argument("--probes", type=int, default=3, help="client: zero-window probes to send")
    args = ap.parse_args()
    if args.role == "server":
        server(args)
    else:
        client(args)


if __name__ == "__main__":
    main()

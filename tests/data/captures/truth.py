#!/usr/bin/env python3
"""Write a scenario's truth.json: the facts its programs and its setup make
true, for the explainer to hold on every rendering (tests/wild.rs).

    truth.py SCENARIO_DIR...

Where tshark's flags are right they are checked elsewhere (oracle.tsv); these
are the facts tshark does not give or gets wrong, found from the scenario's
construction (what the client and server did, what the relay dropped or
delayed, what the capture kept) and located by the frames of oracle.tsv.

truth.json has the format of tests/data/wild/truth/*.json, with frames
(1-based TCP frames, the rows of oracle.tsv) instead of lines:
  "connections"  [{"client", "server", "teardown", "closed_by"}]
  "checks"       [{"frame": N, "what": W, ...}] as in the wild truth files
                 (event and no_event may also name an event field to match,
                 e.g. "backoff"; "renderings" limits a check to some); and {"what": "summary", "conn": I,
                 "path": [...], "value": V}: a field of connection I's
                 summary (V null: absent).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import load, seq_ge  # noqa: E402


def endpoint(r, src=True):
    host = (r["ip.src"] or r["ipv6.src"]) if src else (r["ip.dst"] or r["ipv6.dst"])
    port = r["tcp.srcport"] if src else r["tcp.dstport"]
    return "%s.%s" % (host, port)


def streams(rows):
    """Rows per tcp.stream, in order of first frame."""
    out = {}
    for r in rows:
        out.setdefault(r["tcp.stream"], []).append(r)
    return list(out.values())


# The scenarios' client hosts (make.sh, make_paths.sh): the end that connects.
CLIENT_HOSTS = ("10.77.0.1", "fd00::1", "10.95.0.1", "10.96.0.1")


def client_of(rows):
    """The side that sent the first SYN (else the scenario's client host)."""
    syn = next((r for r in rows if r["flags"] == {"S"}), None)
    if syn:
        return syn["src"]
    first = rows[0]
    if first["src"][0] in CLIENT_HOSTS:
        return first["src"]
    return (first["ip.dst"] or first["ipv6.dst"], first["tcp.dstport"])


def close_kind(rows):
    """three_way / four_way and the closer, from the FINs of one stream."""
    fins = [r for r in rows if "F" in r["flags"]]
    first = fins[0]
    second = next(r for r in fins if r["src"] != first["src"])
    acked_before = any(
        r["src"] == second["src"] and "F" not in r["flags"]
        and rows.index(first) < rows.index(r) < rows.index(second)
        and seq_ge(r["ack_raw"], first["fin_next"])
        for r in rows)
    kind = "four_way" if acked_before or not seq_ge(second["ack_raw"], first["fin_next"]) else "three_way"
    return kind, first["src"]


def connection(rows, teardown, closed_by):
    client = client_of(rows)
    first = rows[0]
    if first["src"] == client:
        c, s = endpoint(first), endpoint(first, src=False)
    else:
        c, s = endpoint(first, src=False), endpoint(first)
    return {"client": c, "server": s, "teardown": teardown, "closed_by": closed_by}


def frame(r):
    return int(r["frame.number"])


def truth(name, rows):
    """(notes, connections, checks) for scenario `name`."""
    checks = []
    conns = []
    client = client_of(rows)
    index = {id(r): i + 1 for i, r in enumerate(rows)}
    fr = lambda r: index[id(r)]  # noqa: E731  (the row: TCP frames only)
    def add(r, what, **kw):
        c = {"frame": fr(r), "what": what}
        c.update(kw)
        checks.append(c)

    if name == "long_rtt":
        notes = ("A 600 ms round trip (the relay delays each frame 300 ms); both ends acknowledge at once "
                 "(TCP_QUICKACK after every read): no ACK is a delayed one. One request is dropped and resent "
                 "on the client's timeout.")
        for r in rows:
            add(r, "no_event", kind="delayed_ack")
        for r in rows:
            if r["src"] == client and r["tcp.len"] and "retransmission" in r["an"]:
                add(r, "event", kind="retransmission")
                add(r, "no_text", text="sooner than a round trip")
        kind, closer = close_kind(rows)
        conns.append(connection(rows, kind, "client" if closer == client else "server"))
    elif name == "syn_linear":
        notes = ("The relay drops the first three SYNs; the kernel (tcp_syn_linear_timeouts=4) sends them "
                 "1 s apart, not doubling.")
        syns = [r for r in rows if r["flags"] == {"S"}]
        for r in syns[1:]:
            add(r, "event", kind="syn_retransmission")
            add(r, "no_event", kind="syn_retransmission", backoff="doubling")
            add(r, "no_text", text="doubl")
            add(r, "no_text", text="twice")
        for r in syns[2:]:
            add(r, "event", kind="syn_retransmission", backoff="constant")
        kind, closer = close_kind(rows)
        conns.append(connection(rows, kind, "client" if closer == client else "server"))
    elif name == "midstream_cut":
        notes = ("A clean exchange whose first frames were cut from the capture (editcap): it starts with the "
                 "server's data, the client's first frame is a bare ACK. The peers lost nothing.")
        for r in rows:
            add(r, "no_event", kind="lost_segment")
            add(r, "no_event", kind="ack_lost_segment")
        add(rows[0], "state", client="ESTABLISHED", server="ESTABLISHED")
        # (with -S the numbers on the line are absolute: nothing to renumber)
        add(rows[1], "field", field="notes", contains="renumbered", renderings=["nn.txt", "nn_v.txt"])
        kind, closer = close_kind(rows)
        conns.append(connection(rows, kind, "client" if closer == client else "server"))
    elif name == "half_close_end":
        notes = ("The client shuts down writing (FIN) and the server keeps sending; the capture stops before "
                 "the server closes: left half-closed.")
        fin = next(r for r in rows if "F" in r["flags"])
        after = [r for r in rows[rows.index(fin):] if r["src"] != client and r["tcp.len"]]
        add(after[0], "event", kind="half_close")
        add(rows[-1], "state", client="FIN_WAIT_2", server="CLOSE_WAIT")
        conns.append(connection(rows, "half_closed", "client"))
    elif name == "fin_crossing":
        notes = ("The relay drops two of the server's segments; their resends cross the client's FIN "
                 "(shutdown after the first bytes): resends, not data after the FIN.")
        cfin = next(r for r in rows if "F" in r["flags"] and r["src"] == client)
        for r in rows[rows.index(cfin):]:
            if r["src"] != client and r["tcp.len"] and "retransmission" in r["an"]:
                add(r, "no_event", kind="half_close")
        sfin = next(r for r in rows if "F" in r["flags"] and r["src"] != client)
        for r in rows[rows.index(sfin) + 1:]:
            if r["src"] == client and not seq_ge(r["ack_raw"], sfin["fin_next"]):
                add(r, "no_text", text="had not been processed")
        kind, closer = close_kind(rows)
        conns.append(connection(rows, kind, "client" if closer == client else "server"))
    elif name == "stall":
        notes = ("The relay drops every server segment after the first: the server resends with a doubling "
                 "timeout until the capture stops; nothing is acknowledged.")
        resent = [r for r in rows if r["src"] != client and "retransmission" in r["an"]]
        for r in resent[-2:]:
            add(r, "event", kind="retransmission", backoff="doubling")
        checks.append({"what": "summary", "conn": 0, "path": ["stall", "side"], "value": "server"})
        conns.append(connection(rows, "open", None))
    elif name == "keepalive_server":
        notes = ("The server's socket sends Linux keep-alives (SO_KEEPALIVE, 1 s); the client answers each, then "
                 "shuts down writing and closes with unread data: FIN, then RST (an abort); its kernel answers "
                 "the server's late ACK with a RST made without a socket.")
        for r in rows:
            if "keep_alive" in r["an"]:
                add(r, "event", kind="keep_alive")
                add(r, "no_event", kind="window_update")
                add(r, "no_event", kind="duplicate_ack")
            if "keep_alive_ack" in r["an"]:
                add(r, "event", kind="keep_alive_ack")
                add(r, "no_event", kind="duplicate_ack")
        rsts = [r for r in rows if "R" in r["flags"] and r["src"] == client]
        add(rsts[0], "event", kind="reset", note="abort")
        for r in rsts[1:]:
            add(r, "event", kind="reset", note="after_close")
        add(rsts[0], "state", client="CLOSED", server="CLOSED")
        conns.append(connection(rows, "reset", "client"))
    elif name in ("probes", "probes_one_way"):
        notes = ("Scan probes from a raw socket (Xmas, NULL, FIN, SYN) to ports where nothing listens; the "
                 "server's kernel answers each with RST+ACK, seq 0." +
                 (" Only the server's answers are captured." if name == "probes_one_way" else ""))
        for st in streams(rows):
            rst = next(r for r in st if "R" in r["flags"])
            add(rst, "event", kind="reset", note="refused")
            add(rst, "state", client="CLOSED", server="CLOSED")
            for r in st:
                add(r, "no_text", text="ESTABLISHED")
                add(r, "no_text", text="LISTEN")
                add(r, "state", server="CLOSED")
            c = connection(st, "refused", "server")
            if name == "probes_one_way":
                c = {"client": endpoint(st[0], src=False), "server": endpoint(st[0]),
                     "teardown": "refused", "closed_by": "server"}
            conns.append(c)
    elif name == "icmp_reject":
        notes = ("The server host's firewall rejects the SYNs with ICMP (port unreachable, administratively "
                 "prohibited); the client's connect() fails at once (no SYN sent again).")
        for i, r in enumerate(rows):
            add(r, "no_event", kind="syn_retransmission")
            checks.append({"what": "summary", "conn": i, "path": ["final_state", "client"], "value": "CLOSED"})
            checks.append({"what": "summary", "conn": i, "path": ["final_state", "server"], "value": "LISTEN"})
            conns.append(connection([r], "open", None))
    elif name in ("any_bridge", "ttl_loop"):
        notes = ("-i any on a bridge (old cooked link type, no interface names): each frame is printed twice."
                 if name == "any_bridge" else
                 "A routing loop: the one SYN passes the capture point again and again, same IP id, TTL one "
                 "lower each time, until an ICMP time exceeded ends the attempt.")
        sights = load_sightings(rows)
        for i, r in enumerate(rows):
            first = sights[i]
            if first is not None:
                add(r, "event", kind="capture_copy", of_frame=first)
                add(r, "no_event", kind="syn_retransmission")
                add(r, "no_event", kind="reset")
        checks.append({"what": "summary", "conn": 0, "path": ["problems"], "value": None})
        if name == "ttl_loop":
            checks.append({"what": "summary", "conn": 0, "path": ["final_state", "client"], "value": "CLOSED"})
            conns.append(connection(rows, "open", None))
        else:
            kind, closer = close_kind([r for i, r in enumerate(rows) if sights[i] is None])
            conns.append(connection(rows, kind, "client" if closer == client else "server"))
    else:
        return None
    return notes, conns, checks


SIGHTINGS = {}


def load_sightings(rows):
    """For each frame, the earlier frame it copies (same IP id, addresses and TCP numbers), or None."""
    path = SIGHTINGS["path"]
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        recs = [dict(zip(head, l.rstrip("\n").split("\t"))) for l in f]
    key = lambda r: tuple(r[k] for k in ("ip.src", "ip.id", "tcp.srcport", "tcp.seq_raw", "tcp.ack_raw", "tcp.len"))  # noqa: E731
    out = []
    for i, r in enumerate(recs):
        j = next((j for j in range(i) if key(recs[j]) == key(r)), None)
        out.append(None if j is None else j + 1)
    assert len(out) == len(rows), (len(out), len(rows))
    return out


def main():
    for d in sys.argv[1:]:
        name = os.path.basename(d.rstrip("/"))
        SIGHTINGS["path"] = os.path.join(d, "sightings.tsv")
        if name in ("any_bridge", "ttl_loop") and not os.path.exists(SIGHTINGS["path"]):
            continue  # (written after the renderings: make_paths.sh runs this again)
        t = truth(name, load(d))
        if t is None:
            continue
        notes, conns, checks = t
        with open(os.path.join(d, "truth.json"), "w") as f:
            json.dump({"scenario": name, "notes": notes, "connections": conns, "checks": checks},
                      f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("%s: %d checks, %d connections" % (name, len(checks), len(conns)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""An IPFIX file (--file, RFC 5655) reuses template ids only after withdrawing
them (RFC 7011 8.1; issue 10 item 6). make_replay --shapes writes more trace
types than the exporter's template table holds (256), so ids are reused; the
file must hold a withdrawal before every redefinition, our collector must
decode every record with its own template, and so must tshark (an
independent decoder) reading the file's messages.

usage: run_file_reuse.py MAKE_REPLAY IOAM_EXPORTER IOAM_COLLECTOR
Needs tshark (exits 77 without it).
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from checks import check, finish, skip

make_replay, exporter, collector = sys.argv[1:4]
SHAPES = 300
PEN, TRACE_TYPE = 10383, 21


def messages(data):
    """The messages of an IPFIX file."""
    out, pos = [], 0
    while pos + 16 <= len(data):
        n = struct.unpack_from("!H", data, pos + 2)[0]
        out.append(data[pos:pos + n])
        pos += n
    check(pos == len(data), "the file is whole messages")
    return out


def template_events(msg):
    """(kind, id) in wire order: ('define'|'withdraw'|'data', id)."""
    ev, pos = [], 16
    while pos + 4 <= len(msg):
        sid, slen = struct.unpack_from("!HH", msg, pos)
        if slen < 4:
            break
        body, p = msg[pos + 4:pos + slen], 0
        if sid == 2:
            while p + 4 <= len(body):
                tid, count = struct.unpack_from("!HH", body, p)
                p += 4
                if count == 0:
                    ev.append(("withdraw", tid))
                    continue
                ev.append(("define", tid))
                for _ in range(count):
                    ie = struct.unpack_from("!H", body, p)[0]
                    p += 8 if ie & 0x8000 else 4
        elif sid >= 256:
            ev.append(("data", sid))
        pos += slen
    return ev


def udp_pcap(msgs, path):
    """The messages as UDP datagrams to port 4739 in a pcap (raw IPv4)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i, m in enumerate(msgs):
            udp = struct.pack("!HHHH", 40000, 4739, 8 + len(m), 0) + m
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
            f.write(struct.pack("<IIII", 1700000000, i, len(ip), len(ip)) + ip)


if not shutil.which("tshark"):
    skip("tshark is not installed")

with tempfile.TemporaryDirectory() as d:
    pcap, expected, counts, out = (os.path.join(d, n) for n in ("e.pcap", "e.jsonl", "counts", "out.ipfix"))
    subprocess.run([make_replay, "--shapes", str(SHAPES), pcap, expected, counts], check=True)
    want = [json.loads(l) for l in open(expected) if l.strip()]
    check(len(want) == SHAPES, f"{SHAPES} records to export")
    e = subprocess.run([exporter, "--replay", pcap, "--file", out], capture_output=True, text=True, timeout=60)
    print(e.stderr, end="")
    check(e.returncode == 0, f"exporter exit status {e.returncode}")

    msgs = messages(open(out, "rb").read())
    defined, withdrawn, redefinitions, bad = {}, 0, 0, []
    for m in msgs:
        for kind, tid in template_events(m):
            if kind == "define":
                if tid in defined and defined[tid]:
                    bad.append(f"id {tid} redefined without a withdrawal")
                redefinitions += tid in defined
                defined[tid] = True
            elif kind == "withdraw":
                if not defined.get(tid):
                    bad.append(f"withdrawal of id {tid}, which the file did not define")
                defined[tid] = False
                withdrawn += 1
            elif tid < 4000 and not defined.get(tid):
                bad.append(f"data for id {tid} after its withdrawal")
    check(not bad, f"every reuse of an id follows its withdrawal of a defined id ({bad[:3]})")
    check(withdrawn == SHAPES - 256, f"{SHAPES - 256} ids reused, each withdrawn first ({withdrawn})")
    check(redefinitions == withdrawn, f"each withdrawn id redefined ({redefinitions})")

    c = subprocess.run([collector, "--json", out], capture_output=True, text=True, timeout=60)
    print(c.stderr, end="")
    got = [r for r in (json.loads(l) for l in c.stdout.splitlines() if l.strip()) if "options" not in r]
    check(c.returncode == 0, f"collector exit status {c.returncode}")
    check(got == want, f"collector: every record decodes to its own values ({len(got)} of {len(want)})")

    cap = os.path.join(d, "file.pcap")
    udp_pcap(msgs, cap)
    ts = subprocess.run(["tshark", "-n", "-r", cap, "-d", "udp.port==4739,cflow", "-T", "pdml"],
                        capture_output=True, text=True, timeout=120)
    check(ts.returncode == 0, f"tshark reads the messages ({ts.stderr.strip()[-300:]})")
    types = [int(v.replace(" ", ""), 16) for v in re.findall(
        r'showname="Enterprise Private entry: [^"]*\bType ' + str(TRACE_TYPE) + r': Value \(hex bytes\): ([0-9a-f ]+)"',
        ts.stdout)]
    check(types == [w["trace_type"] for w in want],
          f"tshark: each record's trace type from its own template ({len(types)} records; "
          f"first differences {[(i, t, w['trace_type']) for i, (t, w) in enumerate(zip(types, want)) if t != w['trace_type']][:3]})")
sys.exit(finish("file template reuse"))

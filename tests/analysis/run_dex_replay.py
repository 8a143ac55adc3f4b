#!/usr/bin/env python3
"""DEX correlation in ioam-collector with replayed exports of known truth
(no root): make_dex_replay writes the DEX events of nodes A, B, C (delays
5 ms and 10 ms, 1% loss on B-C for flow 7 and on A-B for flow 8, one
duplicate); ioam-exporter --replay turns each into an IPFIX file; one
ioam-collector reads the three files with --correlate and --upstream. Every
packet must come out exactly once with its path A, B, C in order, its
per-hop delays exact, its loss at the right hop; the interval line and the
RFC 9951 record sent upstream must carry the expected counts and delays.

usage: run_dex_replay.py MAKE_DEX_REPLAY IOAM_EXPORTER IOAM_COLLECTOR"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish  # noqa: E402

make, exporter, collector = (os.path.abspath(p) for p in sys.argv[1:4])


def parse_rfc9951(datagrams, ids=(530, 531, 532, 533)):
    """Our own reading of the upstream messages: template 400's fields and its records."""
    names = {2: "packets", ids[0]: "mean", ids[1]: "min", ids[2]: "max", ids[3]: "sum", 152: "start", 153: "end",
             (10383, 0): "namespace", (10383, 15): "flow"}
    fields, records = None, []
    for d in datagrams:
        version, length = struct.unpack_from("!HH", d)
        check(version == 10 and length == len(d), f"upstream message header: version {version}, length {length}")
        pos = 16
        while pos < length:
            sid, slen = struct.unpack_from("!HH", d, pos)
            body, end = pos + 4, pos + slen
            if sid == 2:
                tid, count = struct.unpack_from("!HH", d, body)
                p, fields = body + 4, []
                for _ in range(count):
                    ie, flen = struct.unpack_from("!HH", d, p)
                    p += 4
                    key = ie
                    if ie & 0x8000:
                        key = (struct.unpack_from("!I", d, p)[0], ie & 0x7fff)
                        p += 4
                    fields.append((names.get(key, key), flen))
                check(tid == 400, f"template id {tid}")
            elif sid == 400 and fields:
                p = body
                while p + sum(l for _, l in fields) <= end:
                    rec = {}
                    for name, flen in fields:
                        rec[name] = int.from_bytes(d[p:p + flen], "big")
                        p += flen
                    records.append(rec)
            pos = end
    return fields, records


def main():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([make, d], check=True)
        truth = json.load(open(os.path.join(d, "truth.json")))
        files = []
        for i, n in enumerate("ABC"):
            f = os.path.join(d, f"{n}.ipfix")
            e = subprocess.run([exporter, "--replay", os.path.join(d, f"{n}.pcap"), "--file", f,
                                "--observation-domain", str(i + 1)], capture_output=True, text=True, timeout=60)
            check(e.returncode == 0, f"exporter {n}: exit status {e.returncode} {e.stderr[-300:]}")
            files.append(f)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind(("127.0.0.1", 0))
        up.settimeout(5)
        out = os.path.join(d, "correlate.jsonl")
        c = subprocess.run([collector, *files, "--correlate", out, "--wait-ms", "600000", "--window", "4096",
                            "--interval", "3600", "--upstream", f"127.0.0.1:{up.getsockname()[1]}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
        print(c.stderr, end="")
        check(c.returncode == 0, f"collector exit status {c.returncode}")
        lines = [json.loads(l) for l in open(out) if l.strip()]
        packets = [l["packet"] for l in lines if "packet" in l]
        intervals = [l["interval"] for l in lines if "interval" in l]
        A, B, C = truth["nodes"]
        n = truth["packets"]
        keys = [(p["flow"], p["sequence"]) for p in packets]
        check(len(keys) == len(set(keys)), "every packet reported once")
        check(sorted(keys) == sorted((f, s) for f in truth["flows"] for s in range(n)),
              f"{len(keys)} packets, expected {2 * n}: every sequence number of both flows")
        wrong = []
        for p in packets:
            lost = truth["lost"][str(p["flow"])]
            nodes = [h["node"] for h in p["path"]]
            if p["sequence"] % lost["every"] == lost["at"]:
                ok = (p["result"] == "lost" and p["lost_from"] == lost["from"] and p["lost_to"] == lost["to"]
                      and nodes == [A, B, C][:[A, B, C].index(lost["from"]) + 1])
            else:
                ok = (p["result"] == "delivered" and nodes == [A, B, C]
                      and [h.get("delay_us") for h in p["path"][:2]] == [5000.0, 10000.0]
                      and p["path_delay_us"] == 15000.0 and p["namespace"] == truth["namespace"])
            if not ok:
                wrong.append(p)
        check(not wrong, f"paths, delays and losses as constructed ({len(wrong)} wrong, first: {wrong[:1]})")
        dups = [p for p in packets if p["duplicates"]]
        check(len(dups) == truth["duplicates"] and dups[0]["flow"] == 7 and dups[0]["sequence"] == 250,
              f"the duplicate export found: {[(p['flow'], p['sequence']) for p in dups]}")
        check("lost=10 " in c.stderr and "duplicates=1 " in c.stderr and "negative_delays=0 " in c.stderr,
              "collector statistics: 10 lost, 1 duplicate, no negative delays")
        # Interval lines: the whole path of each flow with 495 packets and exact hop delays.
        full = [i for i in intervals if i["path"] == [A, B, C]]
        check(sorted(i["flow"] for i in full) == [7, 8], f"one interval line per flow on A-B-C: {len(full)}")
        for i in full:
            check(i["packets"] == n - 5 and i["path_delay_us"]["min"] == 15000.0 and i["path_delay_us"]["max"] == 15000.0,
                  f"flow {i['flow']}: {i['packets']} packets, path delay {i['path_delay_us']}")
            check([(h["from"], h["to"], h["mean_us"]) for h in i["hops"]] == [(A, B, 5000.0), (B, C, 10000.0)],
                  f"flow {i['flow']}: hop delays {i['hops']}")
        part = {i["flow"]: i for i in intervals if i["path"] != [A, B, C]}
        check(part.get(7, {}).get("path") == [A, B] and part[7]["lost"] == 5, "flow 7: 5 lost after B")
        check(part.get(8, {}).get("path") == [A] and part[8]["lost"] == 5, "flow 8: 5 lost after A")
        # RFC 9951 upstream.
        datagrams = []
        try:
            while True:
                datagrams.append(up.recv(65535))
                up.settimeout(0.5)
        except socket.timeout:
            pass
        fields, recs = parse_rfc9951(datagrams)
        check(fields is not None and [f for f, _ in fields] ==
              ["namespace", "flow", "packets", "mean", "min", "max", "sum", "start", "end"],
              f"RFC 9951 template fields: {fields}")
        by_flow = {r["flow"]: r for r in recs}
        check(sorted(by_flow) == [7, 8], f"one RFC 9951 record per flow: {recs}")
        for f, r in by_flow.items():
            check(r["packets"] == n - 5 and r["mean"] == 15000 and r["min"] == 15000 and r["max"] == 15000
                  and r["sum"] == (n - 5) * 15000 and r["namespace"] == truth["namespace"] and r["end"] >= r["start"],
                  f"flow {f}: RFC 9951 record {r}")
    return finish("analysis/dex_replay")


if __name__ == "__main__":
    sys.exit(main())

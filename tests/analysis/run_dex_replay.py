#!/usr/bin/env python3
"""DEX correlation in ioam-collector with replayed exports of known truth
(no root): make_dex_replay writes the DEX events of nodes A, B, C (delays
5 ms and 10 ms, 1% loss on B-C for flow 7 and on A-B for flow 8, one
duplicate); ioam-exporter --replay turns each into an IPFIX file; one
ioam-collector reads the three files with --correlate and --upstream. Every
packet must come out exactly once with its path A, B, C in order, its
per-hop delays exact, its loss at the right hop; the interval line and the
RFC 9951 record sent upstream must carry the expected counts and delays.

With --oracles, the RFC 9951 records are decoded by others instead:
ipfixDump (libfixbuf) with the shipped XML, tshark, and pmacct's nfacctd
with the shipped primitives file; exits 77 when one of them is missing.

The same exports sent live over UDP to a collector with --metrics and
--metrics-max-series 1: the scraped text must keep one label set per family
plus "other", lose no count to the bound, and answer 404 and 405 elsewhere.

usage: run_dex_replay.py MAKE_DEX_REPLAY IOAM_EXPORTER IOAM_COLLECTOR [--oracles XML PRIMITIVES]"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip  # noqa: E402
from checks import nfacctd as nfacctd_started  # noqa: E402

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


def exports(d, fmt="pen10383"):
    """make_dex_replay's events through three exporters: the IPFIX files of A, B, C and the truth."""
    subprocess.run([make, d], check=True)
    files = []
    for i, n in enumerate("ABC"):
        f = os.path.join(d, f"{n}.{fmt}.ipfix")
        e = subprocess.run([exporter, "--replay", os.path.join(d, f"{n}.pcap"), "--file", f, "--format", fmt,
                            "--observation-domain", str(i + 1)], capture_output=True, text=True, timeout=60)
        check(e.returncode == 0, f"exporter {n}: exit status {e.returncode} {e.stderr[-300:]}")
        files.append(f)
    return files, json.load(open(os.path.join(d, "truth.json")))


def correlate(files, out, upstream):
    c = subprocess.run([collector, *files, "--correlate", out, "--wait-ms", "600000", "--window", "4096",
                        "--interval", "3600", "--upstream", upstream],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
    print(c.stderr, end="")
    check(c.returncode == 0, f"collector exit status {c.returncode}")
    return c


def receive(sock):
    datagrams = []
    try:
        while True:
            datagrams.append(sock.recv(65535))
            sock.settimeout(0.5)
    except socket.timeout:
        pass
    return datagrams


def expect_record(who, r, truth, flow):
    n = truth["packets"] - 5
    check((r.get("packets", n), r["mean"], r["min"], r["max"], r["sum"]) == (n, 15000, 15000, 15000, n * 15000),
          f"{who}: flow {flow}: {r}")


def oracles(xml, primitives):
    ipfixdump, tshark = shutil.which("ipfixDump"), shutil.which("tshark")
    nfacctd = shutil.which("nfacctd") or (os.path.exists("/usr/sbin/nfacctd") and "/usr/sbin/nfacctd")
    for tool, name in ((ipfixdump, "ipfixDump (libfixbuf-tools)"), (tshark, "tshark"), (nfacctd, "nfacctd (pmacct)")):
        if not tool:
            skip(f"{name} is not installed")
    with tempfile.TemporaryDirectory() as d:
        files, truth = exports(d)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind(("127.0.0.1", 0))
        up.settimeout(5)
        correlate(files, os.devnull, f"127.0.0.1:{up.getsockname()[1]}")
        datagrams = receive(up)
        check(len(datagrams) == 1, f"{len(datagrams)} upstream message(s)")
        # ipfixDump: the datagrams as an IPFIX file (RFC 5655), our XML for the four elements.
        path = os.path.join(d, "upstream.ipfix")
        open(path, "wb").write(b"".join(datagrams))
        r = subprocess.run([ipfixdump, "--element-file", os.path.abspath(xml), "--in", path],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"ipfixDump exit status {r.returncode}: {r.stderr[-300:]}")
        names = {"packetDeltaCount": "packets", "pathDelayMeanDeltaMicroseconds": "mean",
                 "pathDelayMinDeltaMicroseconds": "min", "pathDelayMaxDeltaMicroseconds": "max",
                 "pathDelaySumDeltaMicroseconds": "sum"}
        recs = []
        for block in r.stdout.split("--- data record")[1:]:
            rec = {names[m.group(1)]: int(m.group(2)) for m in re.finditer(r"(\w+) : (\d+)\n", block) if m.group(1) in names}
            recs.append(rec)
        check(len(recs) == 2, f"ipfixDump: {len(recs)} data records")
        for i, rec in enumerate(recs):
            expect_record("ipfixDump", rec, truth, i)
        # tshark: the same message in a pcap (raw IPv4, UDP to 4739), dissected as IPFIX.
        msg = datagrams[0]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(msg), 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        pkt = ip + struct.pack("!HHHH", 40000, 4739, 8 + len(msg), 0) + msg
        pcap = os.path.join(d, "upstream.pcap")
        open(pcap, "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101) +
                               struct.pack("<IIII", int(time.time()), 0, len(pkt), len(pkt)) + pkt)
        r = subprocess.run([tshark, "-r", pcap, "-d", "udp.port==4739,cflow", "-T", "pdml"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"tshark exit status {r.returncode}")
        recs, cur = [], {}
        for m in re.finditer(r'name="cflow\.(packets|enterprise_private_entry)" showname="([^"]*)"[^>]*value="([0-9a-f]+)"', r.stdout):
            if m.group(1) == "packets":
                cur["packets"] = int(m.group(3), 16)
                continue
            t = re.search(r"Type (\d+):", m.group(2))
            key = {"530": "mean", "531": "min", "532": "max", "533": "sum"}.get(t.group(1) if t else "")
            if key:
                cur[key] = int(m.group(3), 16)
            if key == "sum":
                recs.append(cur)
                cur = {}
        check(len(recs) == 2, f"tshark: {len(recs)} flows with the four elements")
        for i, rec in enumerate(recs):
            expect_record("tshark", rec, truth, i)
        # nfacctd with the shipped primitives file, fed by a second collector run.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with nfacctd_started(nfacctd, d, "nfacctd", port, primitives,
                             ["ioam_dex_flow_id", "path_delay_mean_us", "path_delay_min_us", "path_delay_max_us",
                              "path_delay_sum_us"]) as (out, _):
            correlate(files, os.devnull, f"127.0.0.1:{port}")
            rows = []
            deadline = time.time() + 15
            while time.time() < deadline and len(rows) < 2:
                time.sleep(0.5)
                rows = [json.loads(l) for l in open(out)] if os.path.exists(out) else []
        check(sorted(int(r["ioam_dex_flow_id"]) for r in rows) == [7, 8], f"nfacctd: rows {rows}")
        for r in rows:
            expect_record("nfacctd", {k: int(r[f"path_delay_{k}_us"]) for k in ("mean", "min", "max", "sum")},
                          truth, r["ioam_dex_flow_id"])
    return finish("analysis/rfc9951_oracles")


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics_bound(files, d):
    """Live UDP, --metrics with one label set per family."""
    port, mport = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    err = open(os.path.join(d, "live.err"), "w")
    c = subprocess.Popen([collector, "--listen", f"127.0.0.1:{port}", "--correlate", os.devnull, "--wait-ms", "300",
                          "--metrics", f"127.0.0.1:{mport}", "--metrics-max-series", "1"],
                         stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{mport}"
    try:
        deadline = time.time() + 10
        while time.time() < deadline and "listening" not in open(err.name).read():
            time.sleep(0.05)
        for f in files:  # each file from its own socket (an exporter), a datagram per message
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                data, pos = open(f, "rb").read(), 0
                while pos < len(data):
                    n = struct.unpack_from("!H", data, pos + 2)[0]
                    s.sendto(data[pos:pos + n], ("127.0.0.1", port))
                    pos += n
                    time.sleep(0.002)
        text = ""
        deadline = time.time() + 10
        while time.time() < deadline:
            time.sleep(0.5)
            text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
            if re.search(r"^ioam_correlator_open_packets 0$", text, re.M) and "ioam_packets_total{" in text:
                break
        with open(f"/proc/{c.pid}/maps") as f:
            mapped = f.read()
        codes = []
        for url, data in ((base + "/other", None), (base + "/metrics", b"x")):
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5)
                codes.append(200)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
    finally:
        c.send_signal(signal.SIGTERM)
        c.wait(timeout=15)
    print(open(err.name).read(), end="")
    check(c.returncode == 0, f"live collector exit status {c.returncode}")
    check(codes == [404, 405], f"GET /other and POST /metrics answer {codes}")
    # libmicrohttpd is loaded for --metrics, and only then (it brings GnuTLS):
    # a collector without --metrics does not map it.
    check("/libmicrohttpd.so" in mapped, "--metrics: libmicrohttpd loaded")
    plain_err = open(os.path.join(d, "plain.err"), "w")
    plain = subprocess.Popen([collector, "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=plain_err)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and "listening" not in open(plain_err.name).read():
            time.sleep(0.05)
        alive = plain.poll() is None
        with open(f"/proc/{plain.pid}/maps") as f:
            plain_mapped = f.read()
    finally:
        plain.send_signal(signal.SIGTERM)
        plain.wait(timeout=15)
    check(alive and "listening" in open(plain_err.name).read() and "/libc.so" in plain_mapped,
          "collector without --metrics: listening, its mappings read")
    check(plain.returncode == 0, f"collector without --metrics: exit status {plain.returncode}")
    # Without the library, --metrics fails at start and says why (root: the
    # library hidden in a mount namespace of this command alone).
    lib = os.path.realpath("/usr/lib/x86_64-linux-gnu/libmicrohttpd.so.12")
    if os.geteuid() == 0 and os.path.exists(lib) and shutil.which("unshare"):
        hidden = " && ".join(f"mount --bind /dev/null {x}" for x in (lib, "/usr/lib/x86_64-linux-gnu/libmicrohttpd.so")
                             if os.path.exists(x))
        r = subprocess.run(["unshare", "-m", "sh", "-c", f'{hidden} && exec "$0" "$@"', collector, "--listen",
                            f"127.0.0.1:{port}", "--correlate", os.devnull, "--metrics", f"127.0.0.1:{mport}",
                            "--idle-exit", "1"], capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "--metrics" in r.stderr and "cannot load libmicrohttpd" in r.stderr,
              f"--metrics without the library: exit {r.returncode}, said {r.stderr.strip()[-160:]!r}")
    else:
        print("info: not root (or no unshare): --metrics without the library not tried")
    check("/libmicrohttpd.so" not in plain_mapped and "/libgnutls.so" not in plain_mapped,
          "without --metrics: neither libmicrohttpd nor GnuTLS mapped")

    def series(name):
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^" + name + r"\{([^}]*)\} (\S+)$", text, re.M)}
    for name, total in (("ioam_hop_packets_total", 995 + 990), ("ioam_node_packets_total", 2985),
                        ("ioam_hop_delay_seconds_count", 995 + 990)):
        got = series(name)
        others = [k for k in got if 'namespace="other"' in k]
        check(len(got) == 2 and len(others) == 1, f"{name}: one label set and \"other\": {sorted(got)}")
        check(sum(got.values()) == total, f"{name}: {sum(got.values())} in all, expected {total} (nothing lost to the bound)")
    m = re.search(r"^ioam_metrics_series_overflow_total (\d+)$", text, re.M)
    check(m is not None and int(m.group(1)) > 0, f"overflow counted: {m and m.group(1)}")
    check(re.search(r'^ioam_hop_delay_seconds_bucket\{namespace="123",from="161",to="178",le="0.005"\} 995$', text, re.M)
          is not None, "A-B: all 995 delays in the 5 ms bucket")


def main():
    if len(sys.argv) > 4 and sys.argv[4] == "--oracles":
        return oracles(sys.argv[5], sys.argv[6])
    with tempfile.TemporaryDirectory() as d:
        files, truth = exports(d)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind(("127.0.0.1", 0))
        up.settimeout(5)
        out = os.path.join(d, "correlate.jsonl")
        c = correlate(files, out, f"127.0.0.1:{up.getsockname()[1]}")
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
        check(part.get(7, {}).get("path") == [A, B] and part[7]["lost"] == 5
              and (part[7]["lost_from"], part[7]["lost_to"]) == (B, C), f"flow 7: 5 lost between B and C: {part.get(7)}")
        check(part.get(8, {}).get("path") == [A] and part[8]["lost"] == 5
              and (part[8]["lost_from"], part[8]["lost_to"]) == (A, B), f"flow 8: 5 lost between A and B: {part.get(8)}")
        # RFC 9951 upstream.
        fields, recs = parse_rfc9951(receive(up))
        # The rawexport layout (the raw DEX option per record) correlates the same.
        raw_files, _ = exports(d, "rawexport")
        raw_out = os.path.join(d, "raw.jsonl")
        correlate(raw_files, raw_out, f"127.0.0.1:{up.getsockname()[1]}")
        raw_packets = sorted((l["packet"]["flow"], l["packet"]["sequence"], l["packet"]["result"],
                              tuple(h["node"] for h in l["packet"]["path"]), l["packet"].get("path_delay_us"))
                             for l in map(json.loads, open(raw_out)) if "packet" in l)
        check(raw_packets == sorted((p["flow"], p["sequence"], p["result"], tuple(h["node"] for h in p["path"]),
                                     p.get("path_delay_us")) for p in packets),
              f"rawexport files: the same {len(raw_packets)} packets, paths, results and delays")
        receive(up)
        check(fields is not None and [f for f, _ in fields] ==
              ["namespace", "flow", "packets", "mean", "min", "max", "sum", "start", "end"],
              f"RFC 9951 template fields: {fields}")
        by_flow = {r["flow"]: r for r in recs}
        check(sorted(by_flow) == [7, 8], f"one RFC 9951 record per flow: {recs}")
        metrics_bound(files, d)
        for f, r in by_flow.items():
            check(r["packets"] == n - 5 and r["mean"] == 15000 and r["min"] == 15000 and r["max"] == 15000
                  and r["sum"] == (n - 5) * 15000 and r["namespace"] == truth["namespace"] and r["end"] >= r["start"],
                  f"flow {f}: RFC 9951 record {r}")
    return finish("analysis/dex_replay")


if __name__ == "__main__":
    sys.exit(main())

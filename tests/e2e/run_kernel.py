#!/usr/bin/env python3
"""Real-kernel end-to-end test in three network namespaces (sender S, transit
T, receiver R), as tests/netlink/kernel_netns.cpp sets them up: send_trace in
S sends UDP with an IOAM Pre-allocated Trace (IPV6_HOPOPTS); the kernels of T
and R fill their node data and emit IOAM6 events. ioam-exporter runs in R
(every node, observation domain 1, to [::1]) and in T (reporting node only,
domain 2, to R's address); one ioam-collector in R decodes both over UDP. Every
value must be what this test configured: hop limits, node ids, interface ids,
namespace data (short and wide), opaque-state schema and "no schema".
The exporters must have dropped to an unprivileged user with no capabilities.

Needs root, network namespaces, a kernel with IPv6 IOAM and IOAM6 events
(Linux 6.9+), and iproute2 with 'ip ioam'; exits 77 saying which is missing.

R's exporter also writes an IPFIX file, which libfixbuf's ipfixDump (with our
element file) must decode to the same values as ioam-collector.

usage: run_kernel.py IOAM_EXPORTER IOAM_COLLECTOR SEND_TRACE [FORMAT [IOAM_IES_XML]]
"""
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from checks import check, finish, ns, require_ioam_netns, sh, skip

exporter, collector, send_trace = (os.path.abspath(p) for p in sys.argv[1:4])
FORMAT = sys.argv[4] if len(sys.argv) > 4 else "pen10383"  # ioam-exporter --format
ie_xml = os.path.abspath(sys.argv[5]) if len(sys.argv) > 5 else None  # ipfixDump cross-check
suffix = str(os.getpid())
S, T, R = "e2eS" + suffix, "e2eT" + suffix, "e2eR" + suffix
IOAM_NS = 123
PORT = 4739
transit = dict(id=1001, in_id=11, out_id=12, id_wide=0x00aa000000001001, in_wide=0x11000011, out_wide=0x12000012,
               data=0x7000000a, data_wide=0x7000000000000a0a)
receiver = dict(id=2002, in_id=21, out_id=22, id_wide=0x00bb000000002002, in_wide=0x21000021, out_wide=0x22000022,
                data=0x8000000b, data_wide=0x8000000000000b0b)
SCHEMA, SCHEMA_DATA = 7, b"IOAMschm"
SENT_HOPS = 64
# (name, trace type, pre-allocated words, receiver finds room)
scenarios = [("short fields", 0xf40000, 2 * 5, True), ("wide fields", 0x00f000, 2 * 7, True),
             ("namespace data", 0x842000, 2 * 4, True), ("opaque state", 0x800002, 4 + 2, True),
             ("overflow", 0xc00000, 2, False)]


def setup():
    for n in (S, T, R):
        sh(f"ip netns add {n}")
        ns(n, "sysctl -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
        ns(n, "ip link set lo up")
    sh(f"ip link add s0 netns {S} type veth peer name t0 netns {T}")
    sh(f"ip link add t1 netns {T} type veth peer name r0 netns {R}")
    ns(S, "ip addr add 2001:db8:1::1/64 dev s0")
    ns(T, "ip addr add 2001:db8:1::2/64 dev t0")
    ns(T, "ip addr add 2001:db8:2::1/64 dev t1")
    ns(R, "ip addr add 2001:db8:2::2/64 dev r0")
    for n, dev in ((S, "s0"), (T, "t0"), (T, "t1"), (R, "r0")):
        ns(n, f"ip link set {dev} up")
    ns(S, "ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2")
    ns(R, "ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1")
    ns(T, "sysctl -w net.ipv6.conf.all.forwarding=1")
    for n, c, i, o in ((T, transit, "t0", "t1"), (R, receiver, "r0", "lo")):
        ns(n, f"sysctl -w net.ipv6.ioam6_id={c['id']} net.ipv6.ioam6_id_wide={c['id_wide']}")
        ns(n, f"sysctl -w net.ipv6.conf.{i}.ioam6_enabled=1 net.ipv6.conf.{i}.ioam6_id={c['in_id']} "
              f"net.ipv6.conf.{i}.ioam6_id_wide={c['in_wide']}")
        ns(n, f"sysctl -w net.ipv6.conf.{o}.ioam6_id={c['out_id']} net.ipv6.conf.{o}.ioam6_id_wide={c['out_wide']}")
        ns(n, f"ip ioam namespace add {IOAM_NS} data {c['data']:#x} wide {c['data_wide']:#x}")
    ns(T, f"ip ioam schema add {SCHEMA} {SCHEMA_DATA.decode()}")
    ns(T, f"ip ioam namespace set {IOAM_NS} schema {SCHEMA}")


def teardown():
    for n in (S, T, R):
        sh(f"ip netns del {n}", check_rc=False)


def expect_node(rec, cfg, hops, local, type_, with_schema, where):
    def eq(key, want):
        check(rec.get(key) == want, f"{where}: {key} = {rec.get(key)!r}, expected {want!r}")
    if type_ & 0x800000:
        eq("hop_limit", hops)
        eq("node_id", cfg["id"])
    if type_ & 0x400000:
        eq("ingress_id", cfg["in_id"])
        eq("egress_id", 0xffff if local else cfg["out_id"])  # local delivery: unavailable, not 0
    if type_ & 0x200000:
        now = time.time()
        check(abs(rec.get("timestamp_seconds", 0) - now) < 30, f"{where}: timestamp_seconds near now")
    if type_ & 0x100000:
        check(rec.get("timestamp_fraction", 1 << 32) < 1000000, f"{where}: timestamp fraction in microseconds")
    if type_ & 0x040000:
        eq("namespace_data", cfg["data"])
    if type_ & 0x008000:
        eq("hop_limit_wide", hops)
        eq("node_id_wide", cfg["id_wide"])
    if type_ & 0x004000:
        eq("ingress_id_wide", cfg["in_wide"])
        eq("egress_id_wide", 0xffffffff if local else cfg["out_wide"])
    if type_ & 0x002000:
        eq("namespace_data_wide", cfg["data_wide"])
    if type_ & 0x000002:
        eq("schema_id", SCHEMA if with_schema else 0xffffff)  # no schema: 0xffffff, not 0
        eq("snapshot", SCHEMA_DATA.hex() if with_schema else "")


def main():
    require_ioam_netns(S)
    try:
        setup()
    except RuntimeError as e:
        teardown()
        print("FAIL: setup:", e)
        return 1
    procs = []
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        try:
            out = open(os.path.join(d, "collector.jsonl"), "w")
            expected_records = sum(2 if room else 1 for *_, room in scenarios) + len(scenarios)
            coll = subprocess.Popen(["ip", "netns", "exec", R, collector, "--listen", f"[::]:{PORT}", "--json",
                                     "--meta", "--count", str(expected_records), "--idle-exit", "10"],
                                    stdout=out, stderr=subprocess.PIPE, text=True)
            procs.append(coll)
            # tshark, a third decoder, on the live IPFIX traffic in R (both exporters' streams).
            capture = os.path.join(d, "ipfix.pcapng")
            tshark = None
            if ie_xml and shutil.which("tshark"):
                tshark = subprocess.Popen(["ip", "netns", "exec", R, "tshark", "-q", "-i", "any", "-f",
                                           f"udp port {PORT}", "-w", capture],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                procs.append(tshark)
                # Capturing once the file exists (tshark starts slowly on a loaded machine).
                deadline = time.time() + 30
                while not os.path.exists(capture) and time.time() < deadline:
                    time.sleep(0.1)
                time.sleep(0.5)
            exps = {}
            ipfix_file = os.path.join(d, "R.ipfix")
            for name, n, args in (("R", R, ["-c", f"[::1]:{PORT}", "--observation-domain", "1", "--file", ipfix_file]),
                                  ("T", T, ["-c", f"[2001:db8:2::2]:{PORT}", "--observation-domain", "2",
                                            "--reporting-node-only"])):
                err = open(os.path.join(d, f"exporter{name}.err"), "w")
                p = subprocess.Popen(["ip", "netns", "exec", n, exporter, *args, "--flush-ms", "20", "--format", FORMAT],
                                     stdout=subprocess.DEVNULL, stderr=err)
                procs.append(p)
                exps[name] = (p, os.path.join(d, f"exporter{name}.err"))
            # Wait until both have subscribed (or gave up).
            deadline = time.time() + 10
            while time.time() < deadline:
                texts = {k: open(f).read() for k, (p, f) in exps.items()}
                for k, (p, f) in exps.items():
                    if p.poll() is not None:
                        if p.returncode == 3:
                            skip(f"exporter cannot subscribe: {texts[k].strip()}")
                        raise RuntimeError(f"exporter {k} exited {p.returncode}: {texts[k]}")
                if all("subscribed" in t for t in texts.values()):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("exporters did not subscribe in time")
            time.sleep(0.3)
            # Privileges: dropped after subscribing.
            for k, (p, f) in exps.items():
                status = open(f"/proc/{p.pid}/status").read()
                uid = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1:]
                cap = [l for l in status.splitlines() if l.startswith("CapEff:")][0].split()[1]
                check(all(u != "0" for u in uid), f"exporter {k} still runs as root: {uid}")
                check(int(cap, 16) == 0, f"exporter {k} keeps capabilities {cap}")
            for name, type_, room, _ in scenarios:
                ns(S, f"{send_trace} 2001:db8:2::2 9999 {type_:06x} {room} {IOAM_NS} {SENT_HOPS} 1")
                time.sleep(0.3)
            try:
                coll.wait(timeout=15)
            except subprocess.TimeoutExpired:
                coll.terminate()
                coll.wait()
            cerr = coll.stderr.read()
            if tshark:
                time.sleep(0.3)
                tshark.send_signal(signal.SIGINT)
                tshark.wait(timeout=20)
            print(cerr, end="")
            for k, (p, f) in exps.items():
                p.send_signal(signal.SIGTERM)
                rc = p.wait(timeout=10)
                text = open(f).read()
                print(text, end="")
                check(rc == 0, f"exporter {k} exit status {rc} after SIGTERM")
                check("lost=0 " in text, f"exporter {k}: no lost events")
                check("malformed=0 " in text, f"exporter {k}: no malformed events")
                check("send_errors=0 " in text, f"exporter {k}: no send errors")
            out.close()
            recs = [json.loads(l) for l in open(os.path.join(d, "collector.jsonl")) if l.strip()]
            check(len(recs) == expected_records, f"{len(recs)} records, expected {expected_records}")
            by_odid = {1: [r for r in recs if r["odid"] == 1], 2: [r for r in recs if r["odid"] == 2]}
            if FORMAT == "rawexport":
                # One record per event, no event id: the collector prints a record's nodes in a row from
                # node 0, and the records of a domain in order, so each node 0 starts the next event.
                check(all(r.get("format") == "rawexport" for r in recs), "rawexport: every record")
                event = 0
                for r in by_odid[1]:
                    event += r["node_index"] == 0
                    r["event"] = event
            # Domain 1: the receiver's events, every node; domain 2: the transit's, reporting node only.
            events1 = {}
            for r in by_odid[1]:
                events1.setdefault(r["event"], []).append(r)
            events2 = [r for r in by_odid[2]]
            check(len(events1) == len(scenarios), f"domain 1: {len(events1)} events, expected {len(scenarios)}")
            check(len(events2) == len(scenarios), f"domain 2: {len(events2)} records, expected {len(scenarios)}")
            for i, (name, type_, room, fits) in enumerate(scenarios):
                ev = events1.get(i + 1, [])
                for r in ev + events2[i:i + 1]:
                    check(r.get("trace_type") == type_ and r.get("namespace") == IOAM_NS
                          and r.get("option_type") == "trace", f"{name}: trace type, namespace, option type")
                ev.sort(key=lambda r: r["node_index"])
                if fits:
                    check(len(ev) == 2 and all(r["node_count"] == 2 for r in ev), f"{name}: two nodes at R")
                    if len(ev) == 2:
                        expect_node(ev[0], receiver, SENT_HOPS - 2, True, type_, False, f"{name}: R node 0")
                        expect_node(ev[1], transit, SENT_HOPS - 1, False, type_, True, f"{name}: R node 1")
                else:
                    check(len(ev) == 1 and ev[0]["node_count"] == 1, f"{name}: one node (the transit's) at R")
                    if ev:
                        expect_node(ev[0], transit, SENT_HOPS - 1, False, type_, True, f"{name}: R node 0")
                if i < len(events2):
                    r = events2[i]
                    check(r["node_index"] == 0 and r["node_count"] == 1, f"{name}: T reports its own node")
                    expect_node(r, transit, SENT_HOPS - 1, False, type_, True, f"{name}: T node 0")
            check("sequence_gaps=0" in cerr, "collector: no sequence gaps")
            # libfixbuf, independently: the same values, record by record.
            if ie_xml and shutil.which("ipfixDump"):
                dump = subprocess.run(["ipfixDump", "--in", ipfix_file, "--element-file", ie_xml],
                                      capture_output=True, text=True, timeout=30)
                check(dump.returncode == 0, f"ipfixDump exit status {dump.returncode}: {dump.stderr.strip()[:200]}")
                for key, ie in (("node_id", "ioamNodeId"), ("egress_id", "ioamEgressIfId"),
                                ("node_id_wide", "ioamNodeIdWide"), ("namespace_data", "ioamNamespaceData"),
                                ("ingress_id", "ioamIngressIfId"), ("schema_id", "ioamOpaqueStateSchemaId")):
                    got = [int(v) for v in re.findall(r"\b" + ie + r" : (\d+)", dump.stdout)]
                    want = [r[key] for r in by_odid[1] if key in r]
                    check(got == want and len(want) > 0, f"ipfixDump: {ie} {got} = collector's {want}")
            else:
                print("ipfixDump or the element file missing: libfixbuf cross-check not run")
            if tshark:
                ts = subprocess.run(["tshark", "-n", "-r", capture, "-d", f"udp.port=={PORT},cflow", "-T", "pdml"],
                                    capture_output=True, text=True, timeout=120)
                check(ts.returncode == 0, f"tshark reads the capture ({ts.stderr.strip()[-300:]})")

                def pen_values(elem):  # enterprise elements unknown to tshark: "Type N: Value (hex bytes): .."
                    return sorted(int(v.replace(" ", ""), 16) for v in re.findall(
                        r'showname="Enterprise Private entry: [^"]*\bType ' + str(elem) +
                        r': Value \(hex bytes\): ([0-9a-f ]+)"', ts.stdout))
                for key, elem in (("node_id", 2), ("trace_type", 21), ("ingress_id", 3), ("node_id_wide", 9),
                                  ("namespace_data", 7), ("schema_id", 13)):
                    want = sorted(r[key] for r in recs if key in r)
                    check(pen_values(elem) == want and len(want) > 0,
                          f"tshark: PEN 10383 element {elem} ({key}) in every record: {pen_values(elem)[:6]}... "
                          f"= collector's {want[:6]}...")
        except RuntimeError as e:
            check(False, str(e))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            teardown()
    return finish("kernel end-to-end")


if __name__ == "__main__":
    sys.exit(main())

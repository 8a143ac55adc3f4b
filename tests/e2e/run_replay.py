#!/usr/bin/env python3
"""Replay test, no root needed: events built with the netlink encoder are
written to a pcap (make_replay), replayed through ioam-exporter into an IPFIX
file (and its console as JSON), decoded by ioam-collector, and compared field
by field with what make_replay derived from its inputs. Malformed events must
be counted and skipped while the exporter keeps going. When tshark is
installed, it must read the pcap as netlink.

usage: run_replay.py MAKE_REPLAY IOAM_EXPORTER IOAM_COLLECTOR [IOAM_IES_XML]
With the XML and ipfixDump installed, libfixbuf must decode the same values.
The same events in the rawexport layout are checked with the collector,
ipfixDump and tshark.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import ioam_raw
from checks import check, finish

make_replay, exporter, collector = sys.argv[1:4]
ie_xml = sys.argv[4] if len(sys.argv) > 4 else None


def lines(text):
    """IOAM records (JSON lines), without options records."""
    return [r for r in (json.loads(l) for l in text.splitlines() if l.strip()) if "options" not in r]


def options(text):
    return [r["options"] for r in (json.loads(l) for l in text.splitlines() if l.strip()) if "options" in r]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compare(name, got, want):
    check(len(got) == len(want), f"{name}: {len(got)} records, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            keys = sorted(set(g) | set(w))
            diff = {k: (g.get(k), w.get(k)) for k in keys if g.get(k) != w.get(k)}
            check(False, f"{name}: record {i} differs (got, expected): {diff}")


def stat(text, key):
    m = re.search(r"\b" + key + r"=(>=)?(\d+)", text)
    return int(m.group(2)) if m else None


with tempfile.TemporaryDirectory() as d:
    pcap, expected, counts = (os.path.join(d, n) for n in ("events.pcap", "expected.jsonl", "counts"))
    ipfix_file = os.path.join(d, "out.ipfix")
    subprocess.run([make_replay, pcap, expected, counts], check=True)
    want = lines(open(expected).read())
    c = dict(kv.split("=") for kv in open(counts).read().split())
    print(f"input: {c['events']} events, {c['records']} records, {c['malformed']} malformed")

    # Small MTU: many messages, so sequence numbers and templates across messages matter.
    e = subprocess.run([exporter, "--replay", pcap, "--file", ipfix_file, "--console=json", "--mtu", "600"],
                       capture_output=True, text=True, timeout=60)
    print(e.stderr, end="")
    check(e.returncode == 0, f"exporter exit status {e.returncode}")
    check(stat(e.stderr, "events") == int(c["events"]), "exporter events count")
    check(stat(e.stderr, "records") == int(c["records"]), "exporter records count")
    check(stat(e.stderr, "malformed") == int(c["malformed"]), "exporter malformed count")
    check(stat(e.stderr, "empty_traces") == 2, "overflowed traces exported as empty traces")
    check((stat(e.stderr, "messages") or 0) > 3, "messages filled to the MTU, several of them")
    compare("exporter console", lines(e.stdout), want)

    r = subprocess.run([collector, "--json", ipfix_file], capture_output=True, text=True, timeout=60)
    print(r.stderr, end="")
    check(r.returncode == 0, f"collector exit status {r.returncode}")
    check(stat(r.stderr, "sequence_gaps") == 0, "no sequence gaps in the file")
    check(stat(r.stderr, "messages") == stat(e.stderr, "messages"), "collector read every message")
    compare("collector", lines(r.stdout), want)
    # The exporter's statistics options record (IANA elements), sent at exit.
    st = options(r.stdout)
    check(len(st) == 1, f"one statistics options record, got {len(st)}")
    if st:
        st = st[0]
        check(st.get("exportedFlowRecordTotalCount") == int(c["records"]), "stats record: records exported")
        check(st.get("observedFlowTotalCount") == int(c["events"]) + int(c["malformed"]), "stats record: events seen")
        check(st.get("ignoredPacketTotalCount") == int(c["malformed"]), "stats record: malformed events")
        check(st.get("notSentPacketTotalCount") == 0 and st.get("notSentFlowTotalCount") == 0, "stats record: no loss")
        check(st.get("exportingProcessId", 0) > 0, "stats record: scope is the exporting process")
        check(st.get("observationTimeMilliseconds", 0) >= st.get("systemInitTimeMilliseconds", 1), "stats record: times")

    # Text mode prints the special values by name.
    t = subprocess.run([collector, ipfix_file], capture_output=True, text=True, timeout=60)
    check("schema=none" in t.stdout, "text: no schema printed as none")
    check("egress_id=unavailable" in t.stdout, "text: unavailable values by name")
    check("no node data (overflow)" in t.stdout, "text: overflowed trace")

    # An independent decoder: libfixbuf's ipfixDump with our element file.
    if ie_xml and shutil.which("ipfixDump"):
        dump = subprocess.run(["timeout", "20", "ipfixDump", "--in", ipfix_file, "--element-file", ie_xml],
                              capture_output=True, text=True, timeout=30)
        check(dump.returncode == 0, f"ipfixDump exit status {dump.returncode}: {dump.stderr.strip()}")
        check(dump.stdout.count("--- data record") == len(want) + 1, "ipfixDump: every record, and the stats record")
        check(re.findall(r"exportedFlowRecordTotalCount : (\d+)", dump.stdout) == [c["records"]],
              "ipfixDump: the statistics options record")
        for key, name in (("node_id", "ioamNodeId"), ("node_id_wide", "ioamNodeIdWide"),
                          ("schema_id", "ioamOpaqueStateSchemaId"), ("transit_delay", "ioamTransitDelay"),
                          ("egress_id", "ioamEgressIfId")):
            got_values = [int(v) for v in re.findall(r"\b" + name + r" : (\d+)", dump.stdout)]
            want_values = [w[key] for w in want if key in w]
            check(got_values == want_values, f"ipfixDump: {name} values {got_values[:4]}... expected {want_values[:4]}...")
    else:
        print("ipfixDump or the element file not available: libfixbuf cross-check skipped")

    # TCP: the same records through a TCP connection to the collector.
    port = free_port()
    col = subprocess.Popen([collector, "--listen-tcp", f"127.0.0.1:{port}", "--json", "--idle-exit", "3"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        e = subprocess.run([exporter, "--replay", pcap, "-c", f"tcp://127.0.0.1:{port}", "--mtu", "600"],
                           capture_output=True, text=True, timeout=60)
        out, err = col.communicate(timeout=30)
    finally:
        col.kill()
    print(e.stderr, err, end="")
    check(e.returncode == 0, f"exporter (TCP) exit status {e.returncode}")
    check(stat(e.stderr, "connects") == 1 and stat(e.stderr, "events_dropped") == 0, "TCP: one connection, no drops")
    check(stat(err, "connections") == 1 and stat(err, "sequence_gaps") == 0, "TCP collector: one session, no gaps")
    compare("collector over TCP", lines(out), want)
    check(len(options(out)) == 1, "TCP: the statistics record too")

    # TCP collector absent: nothing hangs, every event is counted as dropped.
    e = subprocess.run([exporter, "--replay", pcap, "--tcp", f"127.0.0.1:{free_port()}", "--drain-timeout", "700"],
                       capture_output=True, text=True, timeout=60)
    print(e.stderr, end="")
    check(e.returncode == 0, f"exporter (no TCP collector) exit status {e.returncode}")
    check(stat(e.stderr, "connects") == 0, "no TCP collector: no connection")
    check(stat(e.stderr, "events_dropped") == int(c["events"]), "no TCP collector: every event counted as dropped")
    check("retrying with backoff" in e.stderr, "no TCP collector: said so")

    # Re-recording a replay gives the same pcap (the recorder writes what it reads).
    rec = os.path.join(d, "again.pcap")
    subprocess.run([exporter, "--replay", pcap, "--record", rec, "--console=json"], capture_output=True, check=True,
                   timeout=60)
    check(open(rec, "rb").read() == open(pcap, "rb").read(), "--record of a replay reproduces the pcap")

    if shutil.which("tshark"):
        ts = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.protocols"],
                            capture_output=True, text=True, timeout=120)
        protos = ts.stdout.split()
        check(ts.returncode == 0 and len(protos) > 0, f"tshark reads the pcap ({ts.stderr.strip()})")
        check(all("netlink" in p for p in protos), "tshark: every frame is netlink")
    else:
        print("tshark not installed: pcap readability not checked")

    # The rawexport layout (--format rawexport): one record per event, the
    # IOAM option as raw octets; the collector prints the same nodes, and the
    # octets that ipfixDump and tshark show parse (ioam_raw.py, from the RFCs)
    # into the nodes of the inputs.
    raw_file = os.path.join(d, "raw.ipfix")
    e = subprocess.run([exporter, "--replay", pcap, "--file", raw_file, "--format", "rawexport", "--mtu", "600"],
                       capture_output=True, text=True, timeout=60)
    print(e.stderr, end="")
    check(e.returncode == 0, f"rawexport: exporter exit status {e.returncode}")
    check(stat(e.stderr, "records") == int(c["events"]), "rawexport: one record per event")
    check(stat(e.stderr, "malformed") == int(c["malformed"]), "rawexport: malformed count")
    check(stat(e.stderr, "templates") == 2, "rawexport: two templates (trace, DEX)")
    extra = ("format", "observation_time_ns", "report_flags", "encapsulation")
    r = subprocess.run([collector, "--json", raw_file], capture_output=True, text=True, timeout=60)
    print(r.stderr, end="")
    check(r.returncode == 0, f"rawexport: collector exit status {r.returncode}")
    got = lines(r.stdout)
    check(all(g.get("format") == "rawexport" and g.get("encapsulation") == 1 and g.get("report_flags") == 0
              for g in got), "rawexport: format, encapsulation 1, report flags 0")
    # The replay's pcap times (1700000000 s, the record number in microseconds) become the observation times.
    times = sorted({g["observation_time_ns"] for g in got})
    check(len(times) == int(c["events"]) and times[0] == 1700000000 * 10**9, f"rawexport: observation times {times[:3]}")
    compare("rawexport collector", [{k: v for k, v in g.items() if k not in extra} for g in got],
            [{k: v for k, v in w.items() if k != "event"} for w in want])
    by_event = ioam_raw.expected_by_event(want)

    def check_raw(who, options):
        check(len(options) == len(by_event), f"{who}: {len(options)} raw options, expected {len(by_event)}")
        for i, (hexdata, w) in enumerate(zip(options, by_event)):
            try:
                parsed = ioam_raw.as_records(w[0]["option_type"], bytes.fromhex(hexdata))
            except (ValueError, IndexError) as ex:
                check(False, f"{who}: option {i} does not parse: {ex}")
                continue
            check(parsed == w, f"{who}: option {i} parses to {parsed[:1]}..., expected {w[:1]}...")

    if ie_xml and shutil.which("ipfixDump"):
        dump = subprocess.run(["timeout", "20", "ipfixDump", "--in", raw_file, "--element-file", ie_xml,
                               "--hexdump=65535"], capture_output=True, text=True, timeout=30)
        check(dump.returncode == 0, f"rawexport: ipfixDump exit status {dump.returncode}: {dump.stderr.strip()}")
        check_raw("ipfixDump", re.findall(r"\(10383/(?:66|70)\) +ioam(?:PreallocatedTrace|DirectExport)Data : "
                                         r"\(len: \d+\) 0x([0-9a-f]*)", dump.stdout))
    if shutil.which("tshark"):
        # Wireshark reads IPFIX files (RFC 5655) and shows unknown enterprise elements as hex.
        ts = subprocess.run(["tshark", "-r", raw_file, "-T", "fields", "-E", "occurrence=a",
                             "-e", "cflow.enterprise_private_entry"], capture_output=True, text=True, timeout=120)
        check(ts.returncode == 0, f"rawexport: tshark exit status {ts.returncode}: {ts.stderr.strip()}")
        entries = [x for line in ts.stdout.splitlines() for x in line.split(",") if line]
        check(len(entries) == 3 * len(by_event), f"rawexport: tshark shows {len(entries)} enterprise fields")
        check(entries[0::3] == ["00"] * len(by_event) and entries[1::3] == ["01"] * len(by_event),
              "rawexport: tshark report flags 0, encapsulation 1")
        check_raw("tshark", entries[2::3])
    else:
        print("tshark not installed: rawexport tshark cross-check skipped")

    # Usage errors and a missing replay file have their own exit codes.
    check(subprocess.run([exporter, "--mtu", "abc"], capture_output=True).returncode == 2, "usage error exits 2")
    check(subprocess.run([exporter, "--format", "raw"], capture_output=True).returncode == 2, "unknown --format exits 2")
    check(subprocess.run([exporter, "--replay", os.path.join(d, "missing.pcap")],
                         capture_output=True).returncode == 4, "missing replay file exits 4")

sys.exit(finish("replay"))

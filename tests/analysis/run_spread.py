#!/usr/bin/env python3
"""ioam-exporter --spread-by-flow to K real ioam-collector --correlate
processes (no root: replayed events, UDP on loopback).

make_dex_replay writes the DEX events of nodes A, B, C for 200 flows of 20
packets; three ioam-exporter --replay processes (one per node) send them
with --spread-by-flow to K=3 collectors listed in the same order (the
second over TCP, the others over UDP). Every
packet must be correlated exactly once across the three, with its whole
path A, B, C (the three nodes' exports of it met in one collector), every
flow in one collector only, each collector with a share and its own
transport session (sequence numbers without a gap, so nothing lost or
mixed). Then the same to K=4 (a fourth collector added at the end of the
list): again every packet exactly once, and the flows that moved all moved
to the new collector, about 1/4 of them. A fourth exporter replays TRACE
events (5 packets from each of 200 first hops): every one correlated exactly
once, the packets of one first hop in one collector, each collector with a
share.

With --federation: the same three exporters to three collectors with
--metrics; one real Prometheus server scrapes the three, a second one
federates it (/federate, as a global Prometheus does), and PromQL on the
second must count every packet once, whole: sum over the collectors of
ioam_packets_total = the packets sent, from three instances, and two hops
each in ioam_hop_packets_total. Exits 77 when
prometheus or its port is missing.

usage: run_spread.py MAKE_DEX_REPLAY IOAM_EXPORTER IOAM_COLLECTOR [--federation]"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, free_ports, skip  # noqa: E402

make, exporter, collector = (os.path.abspath(p) for p in sys.argv[1:4])
FLOWS = 200
TCP = 1  # the second collector is over TCP, the others over UDP


# the collectors' listening ports (K up to 4), their --metrics, the two Prometheus servers
_ports = free_ports([socket.SOCK_STREAM if i == TCP else socket.SOCK_DGRAM for i in range(4)] +
                    [socket.SOCK_STREAM] * 5)
LISTEN_PORTS, METRICS_PORTS, PROM_PORTS = _ports[:4], _ports[4:7], _ports[7:]


def run(d, k, truth, metrics=False, then=None):
    """The three nodes' exports to k collectors; {flow: collector} and the packets.
    With `metrics`, the collectors serve --metrics and then() runs before they stop."""
    procs, outs, errs = [], [], []
    for i in range(k):
        out, err = os.path.join(d, f"k{k}.c{i}.jsonl"), os.path.join(d, f"k{k}.c{i}.err")
        outs.append(out)
        errs.append(err)
        extra = ["--wait-ms", "5000", "--metrics", f"127.0.0.1:{METRICS_PORTS[i]}"] if metrics else ["--wait-ms", "600000"]
        with open(err, "w") as ef:
            listen = "--listen-tcp" if i == TCP else "--listen"
            procs.append(subprocess.Popen([collector, listen, f"127.0.0.1:{LISTEN_PORTS[i]}", "--correlate", out,
                                           "--window", "65536", "--interval", "3600", *extra],
                                          stdout=subprocess.DEVNULL, stderr=ef))
    try:
        deadline = time.time() + 10
        while time.time() < deadline and not all("listening" in open(e).read() for e in errs):
            time.sleep(0.05)
        check(all("listening" in open(e).read() for e in errs), f"K={k}: the collectors listen")
        targets = [arg for i in range(k) for arg in ("-c", f"{'tcp://' if i == TCP else ''}127.0.0.1:{LISTEN_PORTS[i]}")]
        for n, node in enumerate("ABCT"):
            e = subprocess.run([exporter, "--replay", os.path.join(d, f"{node}.pcap"), *targets, "--spread-by-flow",
                                "--observation-domain", str(n + 1)],
                               capture_output=True, text=True, timeout=60)
            check(e.returncode == 0, f"K={k}: exporter {node}: exit status {e.returncode} {e.stderr[-300:]}")
            m = re.search(r"stats \(exit\): events=(\d+) trace=\d+ dex=(\d+) .*? records=(\d+)", e.stderr)
            n_events = len(truth["flows"]) * (truth["packets"] if node != "T" else 5)
            n_records = n_events * (1 if node != "T" else 3)  # a trace: a record per node
            check(m is not None and int(m.group(1)) == n_events and int(m.group(3)) == n_records,
                  f"K={k}: exporter {node} exported {n_events} events as {n_records} records: {m and m.group(0)}")
            time.sleep(0.3)  # let the collectors take the datagrams
        if then:
            then()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=20)
    for i, p in enumerate(procs):
        err = open(errs[i]).read()
        print(err, end="")
        check(p.returncode == 0, f"K={k}: collector {i} exit status {p.returncode}")
        # Each collector gets three transport sessions (one per exporter), each without a gap.
        m = re.search(r"sequence_gaps=(\d+)", err) or re.search(r"seq(?:uence)?_errors=(\d+)", err)
        if m:
            check(int(m.group(1)) == 0, f"K={k}: collector {i}: no sequence gap ({m.group(0)})")
    owner, packets, traces = {}, {}, {}
    for i, out in enumerate(outs):
        for line in open(out):
            rec = json.loads(line)
            if "packet" not in rec:
                continue
            p = rec["packet"]
            if p["kind"] == "trace":
                traces.setdefault((p["flow"], p["path"][0]["time_ns"]), []).append(i)
                continue
            key = (p["flow"], p["sequence"])
            packets.setdefault(key, []).append((i, p))
            owner.setdefault(p["flow"], set()).add(i)
    check_traces(k, traces, truth)
    return owner, packets


def check_traces(k, traces, truth):
    """TRACE events: by (namespace, first hop's node id)."""
    firsts = {2000 + j for j in range(len(truth["flows"]))}
    check(len(traces) == 5 * len(firsts) and {f for f, _ in traces} == firsts,
          f"K={k}: every trace packet correlated ({len(traces)} of {5 * len(firsts)})")
    check(all(len(v) == 1 for v in traces.values()), f"K={k}: every trace packet exactly once")
    by_first = {}
    for (f, _), v in traces.items():
        by_first.setdefault(f, set()).update(v)
    check(all(len(c) == 1 for c in by_first.values()), f"K={k}: the trace packets of a first hop in one collector")
    shares = [sum(1 for c in by_first.values() if c == {i}) for i in range(k)]
    check(all(s >= len(firsts) // (3 * k) for s in shares), f"K={k}: traces spread by first hop: {shares}")


def check_run(k, owner, packets, truth):
    A, B, C = truth["nodes"]
    want = {(f, s) for f in truth["flows"] for s in range(truth["packets"])}
    check(all(v[0][1]["kind"] == "dex" for v in packets.values()), f"K={k}: DEX packets")
    check(set(packets) == want, f"K={k}: every packet of every flow correlated ({len(packets)} of {len(want)})")
    twice = [key for key, v in packets.items() if len(v) != 1]
    check(not twice, f"K={k}: every packet exactly once across the collectors ({len(twice)} more than once: {twice[:3]})")
    bad = [key for key, v in packets.items()
           if v[0][1]["result"] != "delivered" or [h["node"] for h in v[0][1]["path"]] != [A, B, C]]
    check(not bad, f"K={k}: every packet delivered with its whole path A, B, C in one collector ({len(bad)} not: {bad[:3]})")
    split = [f for f, c in owner.items() if len(c) != 1]
    check(not split, f"K={k}: every flow in one collector only ({split[:3]})")
    shares = [sum(1 for c in owner.values() if c == {i}) for i in range(k)]
    check(all(s >= FLOWS // (3 * k) for s in shares), f"K={k}: each collector has a share of the flows: {shares}")
    print(f"K={k}: flows per collector {shares}")
    return {f: next(iter(c)) for f, c in owner.items()}


def promql(port, query):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        res = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
    except OSError:
        return None
    return float(res[0]["value"][1]) if res else None


def federation(d, truth):
    prom = shutil.which("prometheus")
    if not prom:
        skip("prometheus (Debian package 'prometheus') is not installed")
    local, glob = PROM_PORTS
    targets = ", ".join(f"'127.0.0.1:{METRICS_PORTS[i]}'" for i in range(3))
    confs = {
        local: "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
               f"scrape_configs:\n  - job_name: ioam\n    static_configs: [{{targets: [{targets}]}}]\n",
        glob: "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              "scrape_configs:\n  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n"
              "    params: {'match[]': ['{__name__=~\"ioam_.*\"}']}\n"
              f"    static_configs: [{{targets: ['127.0.0.1:{local}']}}]\n",
    }
    procs = []
    sent = len(truth["flows"]) * (truth["packets"] + 5)  # DEX packets and trace packets
    got = {}

    def scrape():
        deadline = time.time() + 60
        while time.time() < deadline:
            got["total"] = promql(glob, "sum(ioam_packets_total)")
            got["instances"] = promql(glob, "count(count by (instance) (ioam_packets_total))")
            got["hops"] = promql(glob, "sum(ioam_hop_packets_total)")
            if got["total"] == sent and got["instances"] == 3 and got["hops"] == 2 * sent:
                break
            time.sleep(0.5)
        got["delivered"] = promql(glob, 'sum(ioam_packets_total{outcome="delivered"})')
        got["local"] = promql(local, "sum(ioam_packets_total)")

    try:
        for port, conf in confs.items():
            path = os.path.join(d, f"prometheus-{port}.yml")
            open(path, "w").write(conf)
            log = open(os.path.join(d, f"prometheus-{port}.log"), "w")
            procs.append(subprocess.Popen([prom, f"--config.file={path}", f"--storage.tsdb.path={d}/tsdb-{port}",
                                           f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT))
        for port in confs:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                print(open(os.path.join(d, f"prometheus-{port}.log")).read()[-2000:])
                check(False, f"prometheus on {port} ready")
        check_run(3, *run(d, 3, truth, metrics=True, then=scrape), truth)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    check(got.get("instances") == 3, f"the global Prometheus has the series of 3 collectors: {got.get('instances')}")
    check(got.get("total") == sent, f"federated PromQL sum(ioam_packets_total) = {got.get('total')}, {sent} packets sent")
    check(got.get("hops") == 2 * sent, f"federated sum(ioam_hop_packets_total) = {got.get('hops')}: "
          f"every packet with both hops of its path A, B, C ({2 * sent})")
    check(got.get("delivered") == sent and got.get("local") == sent,
          f"all delivered ({got.get('delivered')}), and the same sum in the scraping Prometheus ({got.get('local')})")
    return finish("analysis/spread_federation")


def main():
    if len(sys.argv) > 4 and sys.argv[4] == "--federation":
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([make, d, str(FLOWS)], check=True)
            return federation(d, json.load(open(os.path.join(d, "truth.json"))))
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([make, d, str(FLOWS)], check=True)
        truth = json.load(open(os.path.join(d, "truth.json")))
        check(len(truth["flows"]) == FLOWS, f"{FLOWS} flows written")
        three = check_run(3, *run(d, 3, truth), truth)
        four = check_run(4, *run(d, 4, truth), truth)
        moved = [f for f in three if four[f] != three[f]]
        check(all(four[f] == 3 for f in moved), f"the moved flows all went to the new collector: "
              f"{sorted({four[f] for f in moved})}")
        frac = len(moved) / FLOWS
        print(f"adding a fourth collector moved {len(moved)} of {FLOWS} flows ({frac:.2f}; 1/K = 0.25)")
        check(0.15 <= frac <= 0.35, f"about 1/4 of the flows moved: {frac:.2f}")
    return finish("analysis/spread")


if __name__ == "__main__":
    sys.exit(main())

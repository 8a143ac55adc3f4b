#!/usr/bin/env python3
"""Known truth on the host kernel: network namespaces S -> A -> B -> C with
link emulators L1 (between A and B: 5 ms) and L2 (between B and C: 10 ms,
1% loss, every 100th packet), user-space bridges (linkem.py) because the
host kernel has no tc netem; they delay and drop only IOAM packets to C,
deterministically, so the true delays and losses are known. ioam-inject in
S sends UDP with a Pre-allocated Trace (hop limit, node id, timestamps); the
kernels of A, B and C fill it and emit IOAM6 events; an ioam-exporter in
each sends them back to S, where ioam-collector correlates them
(--correlate, --metrics) and the real Prometheus server scrapes it.

Checks: every packet comes out once; delivered packets took A, B, C; the
losses found at B-C are the emulator's drops, none at A-B; per-hop delays
not below the configured ones and their mean within TOL ms above; PromQL
through Prometheus's HTTP API returns the same counts and delays.

Needs root, namespaces, IPv6 IOAM with events (Linux 6.9+), ethtool and
prometheus; exits 77 saying which is missing.

usage: run_netns.py IOAM_EXPORTER IOAM_COLLECTOR IOAM_INJECT"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, ns, require_ioam_netns, sh, skip, wait_subscribed  # noqa: E402

exporter, collector, inject = (os.path.abspath(p) for p in sys.argv[1:4])
sfx = str(os.getpid())
S, A, L1, B, L2, C = (f"an{x}{sfx}" for x in ("S", "A", "L1", "B", "L2", "C"))
linkem = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linkem.py")
NODE = {A: 11, B: 22, C: 33}
IOAM_NS = 123
PORT, METRICS, PROM = 47401, 47490, 47491
PACED, RATE, BURST = 1500, 500, 200  # packets at 500/s, then a burst as fast as the sender goes
COUNT = PACED + BURST
DELAY_AB, DELAY_BC = 5.0, 10.0  # ms
TOL = 1.5  # ms above the configured delay: the median (a user-space emulator on a shared machine)
EVERY, AT = 100, 37  # L2 drops packets 37, 137, ... of those to C


def setup():
    for n in (S, A, L1, B, L2, C):
        sh(f"ip netns add {n}")
        ns(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
        ns(n, "ip link set lo up")
    # (namespace, interface, address or None) pairs of each veth.
    links = [((S, "s0", "2001:db8:1::1"), (A, "a0", "2001:db8:1::2")),
             ((A, "a1", "2001:db8:2::1"), (L1, "l0", None)), ((L1, "l1", None), (B, "b0", "2001:db8:2::2")),
             ((B, "b1", "2001:db8:3::1"), (L2, "m0", None)), ((L2, "m1", None), (C, "c0", "2001:db8:3::2"))]
    for (x, xi, xa), (y, yi, ya) in links:
        sh(f"ip link add {xi} netns {x} type veth peer name {yi} netns {y}")
        for n, i, addr in ((x, xi, xa), (y, yi, ya)):
            # Whole checksums: the emulators copy frames between veths.
            ns(n, f"ethtool -K {i} tx off")
            if addr:
                ns(n, f"ip addr add {addr}/64 dev {i}")
            ns(n, f"ip link set {i} up")
    ns(S, "ip -6 route add default via 2001:db8:1::2")
    ns(A, "ip -6 route add 2001:db8:3::/64 via 2001:db8:2::2")
    ns(B, "ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1")
    ns(C, "ip -6 route add default via 2001:db8:3::1")
    for n in (A, B):
        ns(n, "sysctl -qw net.ipv6.conf.all.forwarding=1")
    for n, i in ((A, "a0"), (B, "b0"), (C, "c0")):
        ns(n, f"sysctl -qw net.ipv6.ioam6_id={NODE[n]} net.ipv6.conf.{i}.ioam6_enabled=1")
        ns(n, f"ip ioam namespace add {IOAM_NS}")


def teardown():
    for n in (S, A, L1, B, L2, C):
        sh(f"ip netns del {n}", check_rc=False)


def promql(query):
    url = f"http://127.0.0.1:{PROM}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    r = ns(S, f"curl -sf '{url}'", check_rc=False)
    if r.returncode != 0:
        return None
    res = json.loads(r.stdout)["data"]["result"]
    return float(res[0]["value"][1]) if res else None


def main():
    require_ioam_netns(S)
    prom = shutil.which("prometheus")
    if not prom:
        skip("prometheus (Debian package 'prometheus') is not installed")
    if not shutil.which("curl"):
        skip("curl is missing")
    if not shutil.which("ethtool"):
        skip("ethtool is missing")
    try:
        setup()
    except RuntimeError as e:
        teardown()
        print("FAIL: setup:", e)
        return 1
    procs, ems, prom_mean, exps = [], {}, {}, {}
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        try:
            out = os.path.join(d, "correlate.jsonl")
            cerr = open(os.path.join(d, "collector.err"), "w")
            coll = subprocess.Popen(["ip", "netns", "exec", S, collector, "--listen", f"[::]:{PORT}",
                                     "--correlate", out, "--wait-ms", "1000", "--interval", "1",
                                     "--metrics", f"127.0.0.1:{METRICS}"],
                                    stdout=subprocess.DEVNULL, stderr=cerr)
            procs.append(coll)
            for n, l, r, delay, every in ((L1, "l0", "l1", DELAY_AB, 0), (L2, "m0", "m1", DELAY_BC, EVERY)):
                ems[n] = subprocess.Popen(["ip", "netns", "exec", n, sys.executable, linkem, l, r, "2001:db8:3::2",
                                           str(delay), str(every), str(AT)], stdout=subprocess.PIPE, text=True)
                procs.append(ems[n])
                check(ems[n].stdout.readline().strip() == "linkem: ready", f"link emulator in {n} ready")
            conf = os.path.join(d, "prometheus.yml")
            with open(conf, "w") as f:
                f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                        f"scrape_configs:\n  - job_name: ioam\n    static_configs: [{{targets: ['127.0.0.1:{METRICS}']}}]\n")
            plog = open(os.path.join(d, "prometheus.log"), "w")
            p = subprocess.Popen(["ip", "netns", "exec", S, prom, f"--config.file={conf}",
                                  f"--storage.tsdb.path={d}/tsdb", f"--web.listen-address=127.0.0.1:{PROM}"],
                                 stdout=plog, stderr=subprocess.STDOUT)
            procs.append(p)
            for n in (A, B, C):
                ef = os.path.join(d, f"exporter-{n}.err")
                e = subprocess.Popen(["ip", "netns", "exec", n, exporter, "-c", f"[2001:db8:1::1]:{PORT}",
                                      "--flush-ms", "20", "--observation-domain", str(NODE[n])],
                                     stdout=subprocess.DEVNULL, stderr=open(ef, "w"))
                procs.append(e)
                exps[n] = (e, ef)
            wait_subscribed(exps)
            deadline = time.time() + 60
            while time.time() < deadline and ns(S, f"curl -sf http://127.0.0.1:{PROM}/-/ready", check_rc=False).returncode:
                time.sleep(0.2)
            check(ns(S, f"curl -sf http://127.0.0.1:{PROM}/-/ready", check_rc=False).returncode == 0, "prometheus ready")
            # Neighbours resolved on every link first: packets that find a neighbour
            # unresolved are dropped after A processed them, before the flow has a path.
            r = ns(S, "ping -6 -c 3 -i 0.2 -w 10 2001:db8:3::2", check_rc=False)
            check(r.returncode == 0, "ping S -> C through both emulators")
            for count, rate in ((PACED, RATE), (BURST, 0)):
                r = ns(S, f"{inject} --dst 2001:db8:3::2 --type 0xb00000 --nodes 3 --namespace {IOAM_NS} "
                          f"--count {count} --rate {rate}", check_rc=False)
                check(r.returncode == 0, f"ioam-inject sent {count} packets at rate {rate}: {r.stderr.strip()}")
            time.sleep(2.5)  # the collector's wait, then a tick
            # The truth: what each emulator forwarded (a frame its socket had no room
            # for on a loaded machine is lost on that link too, and counted so).
            # Asked until an emulator is idle: nothing queued, nothing new since the last answer.
            fwd = {}
            for n, e in ems.items():
                last, line = None, ""
                deadline = time.time() + 30
                while time.time() < deadline:
                    e.send_signal(signal.SIGUSR1)
                    line = e.stdout.readline().strip()
                    if line == last and line.endswith(" queued=0"):
                        break
                    last = line
                    time.sleep(0.5)
                m = re.fullmatch(r"linkem: matched=(\d+) dropped=(\d+) forwarded=(\d+) queued=0", line)
                check(m is not None, f"emulator {n} idle: {line}")
                matched, dropped, fwd[n] = (int(x) for x in m.groups()) if m else (0, 0, 0)
                check(dropped == (len(range(AT, matched, EVERY)) if n == L2 else 0),
                      f"emulator {n}: dropped {dropped} of {matched} as designed")
            drops_ab = COUNT - fwd[L1]
            drops_bc = fwd[L1] - fwd[L2]
            print(f"truth: lost A-B {drops_ab}, B-C {drops_bc}")
            # Prometheus: wait for a scrape that has every packet.
            total = None
            deadline = time.time() + 20
            while time.time() < deadline:
                total = promql("sum(ioam_packets_total)")
                if total == COUNT and promql("ioam_correlator_open_packets") == 0:
                    break
                time.sleep(0.5)
            check(total == COUNT, f"PromQL sum(ioam_packets_total) = {total}, expected {COUNT}")
            hop = lambda a, b: f'namespace="{IOAM_NS}",from="{NODE[a]}",to="{NODE[b]}"'  # noqa: E731
            lost_bc = promql(f"ioam_hop_lost_packets_total{{{hop(B, C)}}}")
            lost_ab = promql(f"ioam_hop_lost_packets_total{{{hop(A, B)}}}")
            check(lost_bc == drops_bc, f"PromQL lost B-C = {lost_bc}, the emulator dropped {drops_bc}")
            check((lost_ab or 0) == drops_ab, f"PromQL lost A-B = {lost_ab}, expected {drops_ab}")
            delivered = promql(f'ioam_packets_total{{namespace="{IOAM_NS}",outcome="delivered"}}')
            check(delivered == fwd[L2], f"PromQL delivered = {delivered}, expected {fwd[L2]}")
            for a, b, want in ((A, B, DELAY_AB), (B, C, DELAY_BC)):
                mean = promql(f"ioam_hop_delay_seconds_sum{{{hop(a, b)}}} / ioam_hop_delay_seconds_count{{{hop(a, b)}}}")
                median = promql(f"histogram_quantile(0.5, ioam_hop_delay_seconds_bucket{{{hop(a, b)}}})")
                prom_mean[(NODE[a], NODE[b])] = mean  # checked against the packet lines below
                check(mean is not None and want <= mean * 1e3,
                      f"PromQL mean delay {NODE[a]}->{NODE[b]} = {mean and mean * 1e3:.3f} ms, configured {want} ms")
                check(median is not None and want - 0.5 <= median * 1e3 <= want + 2.5,
                      f"PromQL median delay {NODE[a]}->{NODE[b]} = {median and median * 1e3:.3f} ms (bucket resolution)")
            check(promql("ioam_hop_negative_delays_total") in (None, 0.0), "no negative delays")
        finally:
            for pr in reversed(procs):
                if pr.poll() is None:
                    pr.send_signal(signal.SIGTERM)
                    try:
                        pr.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        pr.kill()
            teardown()
        for n, e in ems.items():
            print(n, e.stdout.read().strip())
        for n, (e, f) in exps.items():
            print(n, open(f).read().strip().splitlines()[-1:])
        stats = open(os.path.join(d, "collector.err")).read()
        print(stats, end="")
        lines = [json.loads(l) for l in open(out) if l.strip()]
        packets = [l["packet"] for l in lines if "packet" in l]
        check(len(packets) == COUNT, f"{len(packets)} packets correlated, {COUNT} sent")
        check(len({tuple(h.get("time_ns") for h in p["path"]) for p in packets}) == len(packets),
              "every packet once (distinct timestamps along the path)")
        deliv = [p for p in packets if p["result"] == "delivered"]
        lost = [p for p in packets if p["result"] == "lost"]
        odd = [p for p in deliv if [h["node"] for h in p["path"]] != [NODE[A], NODE[B], NODE[C]]]
        check(not odd, f"delivered packets took A, B, C ({len(odd)} did not, first: {odd[:1]})")
        at = lambda a, b: [p for p in lost if (p["lost_from"], p["lost_to"]) == (NODE[a], NODE[b])]  # noqa: E731
        check(len(at(B, C)) == drops_bc, f"{len(at(B, C))} losses at B-C, the emulators say {drops_bc}")
        check(len(at(A, B)) == drops_ab, f"{len(at(A, B))} losses at A-B, the emulators say {drops_ab}")
        check(len(lost) == drops_ab + drops_bc, "no losses elsewhere")
        check(len(deliv) + len(lost) == COUNT, "no path changes or other outcomes")
        for i, want in ((0, DELAY_AB), (1, DELAY_BC)):
            ds = sorted(p["path"][i]["delay_us"] / 1e3 for p in deliv)
            mean, median = sum(ds) / max(len(ds), 1), ds[len(ds) // 2] if ds else 0
            check(ds and ds[0] >= want and want <= median <= want + TOL,
                  f"hop {i}: min {ds[0] if ds else 0:.3f} ms, median {median:.3f} ms, mean {mean:.3f} ms, "
                  f"configured {want} ms")
            # Prometheus's mean is every valid delay of the hop, lost packets' partial paths included.
            a, b = (NODE[A], NODE[B]) if i == 0 else (NODE[B], NODE[C])
            all_d = [h["delay_us"] / 1e3 for p in packets for h, nxt in zip(p["path"], p["path"][1:])
                     if (h["node"], nxt["node"]) == (a, b) and h.get("delay") == "ok"]
            pm = prom_mean.get((a, b))
            check(pm is not None and all_d and abs(pm * 1e3 - sum(all_d) / len(all_d)) < 0.001,
                  f"hop {a}->{b}: PromQL mean {pm and pm * 1e3:.4f} ms = the packet lines' mean "
                  f"{sum(all_d) / max(len(all_d), 1):.4f} ms")
        check("negative_delays=0 " in stats and "trace_partial=0 " in stats and "evicted=0 " in stats,
              "collector statistics: no negative delays, partial events, evictions")
        # When the sender catches up after a stall, A can timestamp several packets in one
        # microsecond: their A-only events are identical, and all but the first are
        # counted as duplicates (docs/analysis.md). Nothing else may be.
        first = collections.Counter((p["path"][0]["node"], p["path"][0]["time_ns"]) for p in packets)
        same_us = sum(k - 1 for k in first.values())
        m = re.search(r"duplicates=(\d+) ", stats)
        check(m is not None and int(m.group(1)) == same_us,
              f"duplicates {m and m.group(1)}: the packets A timestamped in an already used microsecond: {same_us}")
    return finish("analysis/netns")


if __name__ == "__main__":
    sys.exit(main())

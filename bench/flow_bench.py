#!/usr/bin/env python3
"""ioam-flow-exporter on the real kernel: what its tc programs cost and what
its user space can export (docs/benchmarks.md, "Flow exporter").

Three network namespaces, S -> R -> D, joined by veth pairs; R forwards.
  1. Forwarding rate through R, without and with the programs on both of R's
     interfaces (every forwarded packet runs the ingress program on one and
     the egress program on the other): iperf3 UDP of 64-octet datagrams
     (packets/s arriving at D's interface) and TCP (bits/s), runs
     alternated, medians, ratio.
  2. BPF run time per packet: kernel.bpf_stats_enabled=1 during a separate
     UDP run; run_time_ns / run_cnt of each program from bpftool.
  3. 100,000 flows in one interval: S sends one UDP datagram to each of
     100,000 (address, port) pairs; the exporter on S's egress must export
     100,000 records whose packets add up to 100,000 (no loss), and says how
     long its longest scan took.
  4. Memory per flow: the kernel maps' memory (bpftool's memlock, the maps'
     own accounting) and the exporter's resident set, before and after.
  5. (part "hot", not in the default) the programs alone, hot in the cache:
     BPF_PROG_TEST_RUN (`bpftool prog run ... repeat N`) of the built
     flow.bpf.o on a 64-octet IPv4 UDP frame and an IPv6 TCP frame, the
     same frame every time (one flow), beside an empty program; what the
     flow map lookup costs is the difference to a variant without it
     (docs/benchmarks.md).

The iperf3 sender is pinned to CPU 0 and the receiver to the last CPU
(--no-pin: not); parts 1 and 2 run --runs times and report the median and
the range (the spread of the runs).

usage: bench/flow_bench.py [--build DIR] [--seconds N] [--runs N] [--flows N] [--parts fwd,ns,flows] [--no-pin]
Needs root, iperf3 and bpftool; exits 77 saying what is missing.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "tests", "e2e"))
from checks import skip, sh, ns  # noqa: E402
ap = argparse.ArgumentParser(usage=__doc__)
ap.add_argument("--build", default=os.path.join(root, "build"), help="build directory (default build)")
ap.add_argument("--seconds", type=int, default=5, help="seconds per iperf3 run (default 5)")
ap.add_argument("--runs", type=int, default=3, help="runs of each configuration (default 3)")
ap.add_argument("--flows", type=int, default=100000, help="flows for the export test (default 100000)")
ap.add_argument("--parts", default="fwd,ns,flows", help="which parts (default fwd,ns,flows; also: hot)")
ap.add_argument("--no-pin", action="store_true",
                help="do not pin iperf3's sender to CPU 0 and its receiver to the last CPU")
args = ap.parse_args()

EXPORTER = os.path.join(args.build, "exporters", "ioam-flow-exporter", "ioam-flow-exporter")
S, R, D = "fl-bench-s", "fl-bench-r", "fl-bench-d"
PORT = 47650


def setup():
    cleanup()
    for n in (S, R, D):
        sh(f"ip netns add {n}")
        ns(n, "ip link set lo up")
        ns(n, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
    sh(f"ip link add fe-bs netns {S} type veth peer name fe-br1 netns {R}")
    sh(f"ip link add fe-br2 netns {R} type veth peer name fe-bd netns {D}")
    ns(S, "ip addr add 10.47.20.1/24 dev fe-bs")
    ns(R, "ip addr add 10.47.20.2/24 dev fe-br1")
    ns(R, "ip addr add 10.47.21.2/24 dev fe-br2")
    ns(D, "ip addr add 10.47.21.1/24 dev fe-bd")
    for n, i in ((S, "fe-bs"), (R, "fe-br1"), (R, "fe-br2"), (D, "fe-bd")):
        ns(n, f"ip link set {i} up")
    ns(S, "ip route add default via 10.47.20.2")
    ns(D, "ip route add default via 10.47.21.2")
    ns(R, "sysctl -qw net.ipv4.ip_forward=1")
    ns(S, "ping -c 1 -W 2 10.47.21.1")
    ns(D, "ip addr add 10.47.22.1/24 dev fe-bd")  # a second address for the flow test


def cleanup():
    for n in (S, R, D):
        sh(f"ip netns del {n}", check_rc=False)


def start_exporter(n, argv):
    err = tempfile.NamedTemporaryFile("w+", delete=False, prefix="fe-bench-")
    p = subprocess.Popen(["ip", "netns", "exec", n, EXPORTER, "--keep-privileges"] + argv,
                         stdout=subprocess.DEVNULL, stderr=err)
    t0 = time.monotonic()
    want = 1 if "--direction" in argv else 2 * argv.count("-i")
    while time.monotonic() - t0 < 10 and p.poll() is None and open(err.name).read().count("attached") < want:
        time.sleep(0.05)
    if p.poll() is not None:
        raise RuntimeError("exporter: " + open(err.name).read())
    return p, err.name


def stop(p):
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)


def iperf(udp):
    last = os.cpu_count() - 1
    pin_s = [] if args.no_pin else ["-A", str(last)]
    pin_c = "" if args.no_pin else " -A 0"
    server = subprocess.Popen(["ip", "netns", "exec", D, "iperf3", "-s", "-1", "-p", str(PORT), "-J"] + pin_s,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    cmd = f"iperf3 -c 10.47.21.1 -p {PORT} -t {args.seconds} -J{pin_c}" + (" -u -b 0 -l 64" if udp else "")
    rx0, t0 = rx_packets(), time.monotonic()
    c = json.loads(ns(S, cmd).stdout)
    rx1, t1 = rx_packets(), time.monotonic()
    out, _ = server.communicate(timeout=30)
    s = json.loads(out)
    if udp:
        # What R forwarded: D's interface counter (iperf3's receiver drops
        # datagrams its socket cannot take, which says nothing about R).
        return (rx1 - rx0) / (t1 - t0)
    return s["end"]["sum_received"]["bits_per_second"] if "sum_received" in s["end"] else \
        c["end"]["sum_received"]["bits_per_second"]


def rx_packets():
    return json.loads(ns(D, "ip -j -s link show fe-bd").stdout)[0]["stats64"]["rx"]["packets"]


def prog_stats(names=("fe_ingress", "fe_egress")):
    # Summed over the programs of that name: another one left loaded (not
    # running) adds nothing to the differences taken.
    out = json.loads(sh("bpftool -j prog show").stdout)
    r = {}
    for p in out:
        if p.get("name") in names:
            t, n = r.get(p["name"], (0, 0))
            r[p["name"]] = (t + p.get("run_time_ns", 0), n + p.get("run_cnt", 0))
    return r


def rss_kb(pid):
    # The exporter runs as a child of `ip netns exec` (which execs): same pid.
    m = re.search(r"^VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read(), re.M)
    return int(m.group(1)) if m else 0


def map_memlock(pid):
    """The flow maps' own accounting (the slot table and the overflow hash
    map together) and the hash map's entries (--map-size), of the exporter
    `pid` only (other runs on the machine may have maps of the same names)."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            m = re.search(r"^map_id:\s+(\d+)", open(f"/proc/{pid}/fdinfo/{fd}").read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    total, entries = 0, 0
    for m in json.loads(sh("bpftool -j map show").stdout):
        if m.get("id") not in ids:
            continue
        if m.get("name") in ("flows", "slots"):
            total += m.get("bytes_memlock", 0)
        if m.get("name") == "flows":
            entries = m.get("max_entries", 0)
    return total, entries


def count_records(path):
    data = open(path, "rb").read()
    off = recs = pk = 0
    while off + 16 <= len(data):
        mlen = struct.unpack_from("!H", data, off + 2)[0]
        s = off + 16
        while s + 4 <= off + mlen:
            sid, slen = struct.unpack_from("!HH", data, s)
            if sid == 300:
                for r in range(s + 4, s + slen - 71, 72):
                    recs += 1
                    pk += struct.unpack_from("!Q", data, r + 24)[0]
            s += slen
        off += mlen
    return recs, pk


def main():
    if os.geteuid() != 0:
        skip("needs root")
    for t in ("iperf3", "bpftool"):
        if not shutil.which(t):
            skip(f"{t} is missing")
    if not os.access(EXPORTER, os.X_OK):
        skip(f"{EXPORTER} is not built")
    setup()
    results = {}
    try:
        # 1. forwarding rate, alternating without / with.
        rates = {"udp": {False: [], True: []}, "tcp": {False: [], True: []}}
        for _ in range(args.runs if "fwd" in args.parts else 0):
            for with_progs in (False, True):
                p = start_exporter(R, ["-i", "fe-br1", "-i", "fe-br2", "--file", "/dev/null"])[0] if with_progs else None
                for kind in ("udp", "tcp"):
                    rates[kind][with_progs].append(iperf(kind == "udp"))
                if p:
                    stop(p)
        for kind in ("udp", "tcp") if "fwd" in args.parts else ():
            without = statistics.median(rates[kind][False])
            with_ = statistics.median(rates[kind][True])
            results[f"{kind}_without"] = without
            results[f"{kind}_with"] = with_
            results[f"{kind}_ratio"] = with_ / without
            # The spread: each configuration's range, and the ratio of each
            # alternated pair (a run with the programs / the run before it).
            results[f"{kind}_without_range"] = (min(rates[kind][False]), max(rates[kind][False]))
            results[f"{kind}_with_range"] = (min(rates[kind][True]), max(rates[kind][True]))
            pairs = [w / o for o, w in zip(rates[kind][False], rates[kind][True]) if o]
            results[f"{kind}_ratio_range"] = (min(pairs), max(pairs)) if pairs else (float("nan"),) * 2
        # 2. ns per packet.
        if "ns" in args.parts:
            runs = []
            for _ in range(args.runs):
                r = {}
                ns_per_packet(r)
                runs.append(r)
            for k in ("fe_ingress_ns", "fe_egress_ns", "fe_empty_ns"):
                v = [r[k] for r in runs if r[k] == r[k]]
                results[k] = statistics.median(v) if v else float("nan")
                results[k + "_range"] = (min(v), max(v)) if v else (float("nan"),) * 2
            results["fe_ingress_runs"] = sum(r["fe_ingress_runs"] for r in runs)
            results["fe_egress_runs"] = sum(r["fe_egress_runs"] for r in runs)
            results["ns_runs"] = len(runs)
        if "flows" in args.parts:
            many_flows(results)
        if "hot" in args.parts:
            hot(results)
    finally:
        cleanup()
    report(results)
    ok = "flows" not in args.parts or (results["records"] >= results["flows_sent"] and
                                       results["record_packets"] == results["flows_sent"])
    return 0 if ok else 1


def ns_per_packet(results):
    if True:
        old = sh("sysctl -n kernel.bpf_stats_enabled").stdout.strip()
        sh("sysctl -qw kernel.bpf_stats_enabled=1")
        try:
            p, _ = start_exporter(R, ["-i", "fe-br1", "-i", "fe-br2", "--file", "/dev/null"])
            before = prog_stats()
            results["udp_with_stats"] = iperf(True)
            after = prog_stats()
            stop(p)
            # The baseline: an empty tc program measured the same way (bpf_stats
            # itself reads the clock twice per run).
            d = tempfile.mkdtemp(prefix="fe-bench-")
            empty_object(d)
            for i in ("fe-br1", "fe-br2"):
                ns(R, f"tc qdisc add dev {i} clsact", check_rc=False)
            ns(R, f"tc filter add dev fe-br1 ingress bpf da obj {d}/empty.o sec tc")
            e0 = prog_stats(("fe_empty",))
            results["udp_with_empty"] = iperf(True)
            e1 = prog_stats(("fe_empty",))
            ns(R, "tc filter del dev fe-br1 ingress")
            shutil.rmtree(d, ignore_errors=True)
            dn = e1["fe_empty"][1] - e0.get("fe_empty", (0, 0))[1]
            results["fe_empty_ns"] = (e1["fe_empty"][0] - e0.get("fe_empty", (0, 0))[0]) / dn if dn else float("nan")
        finally:
            sh(f"sysctl -qw kernel.bpf_stats_enabled={old}")
        for name in ("fe_ingress", "fe_egress"):
            dt = after[name][0] - before.get(name, (0, 0))[0]
            dn = after[name][1] - before.get(name, (0, 0))[1]
            results[f"{name}_ns"] = dt / dn if dn else float("nan")
            results[f"{name}_runs"] = dn


def empty_object(d):
    """An empty tc program (fe_empty), compiled into directory d."""
    open(os.path.join(d, "empty.c"), "w").write(
        '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC("license") = "GPL";\n'
        'SEC("tc") int fe_empty(struct __sk_buff* skb) { return 0; }\n')
    sh(f"clang -O2 -target bpf -I/usr/include/$(gcc -print-multiarch) -c {d}/empty.c -o {d}/empty.o")
    return os.path.join(d, "empty.o")


def hot(results, repeat=2000000):
    d = tempfile.mkdtemp(prefix="fe-bench-")
    eth = b"\x02" * 6 + b"\x04" * 6
    udp = struct.pack("!HHHH", 40000, PORT, 8 + 22, 0) + b"u" * 22
    v4 = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 47, 20, 1]),
                     bytes([10, 47, 21, 1])) + udp
    tcp = struct.pack("!HHIIBBHHH", 40000, PORT, 1, 1, 0x50, 0x18, 100, 0, 0) + b"t" * 36
    v6 = struct.pack("!IHBB16s16s", 0x60000000, len(tcp), 6, 64, bytes(15) + b"\x01", bytes(15) + b"\x02") + tcp
    frames = {"IPv4 UDP": eth + b"\x08\x00" + v4, "IPv6 TCP": eth + b"\x86\xdd" + v6}
    pin = f"/sys/fs/bpf/fl-bench-{os.getpid()}"

    def run(obj, progs):
        sh(f"bpftool prog loadall {obj} {pin} type classifier")
        try:
            out = {}
            for name, frame in frames.items():
                fn = os.path.join(d, "frame")
                open(fn, "wb").write(frame)
                for prog in progs:
                    best = min(int(re.search(r"duration \(average\): (\d+)ns", sh(
                        f"bpftool prog run pinned {pin}/{prog} data_in {fn} repeat {repeat}").stdout).group(1))
                        for _ in range(3))
                    out[f"{name} {prog}"] = best
            return out
        finally:
            shutil.rmtree(pin, ignore_errors=True)
    try:
        obj = os.path.join(args.build, "exporters", "ioam-flow-exporter", "flow.bpf.o")
        results["hot"] = run(obj, ("fe_ingress", "fe_egress"))
        results["hot_empty"] = run(empty_object(d), ("fe_empty",))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def many_flows(results):
    if True:
        out = os.path.join(tempfile.mkdtemp(prefix="fe-bench-"), "flows.ipfix")
        p, errf = start_exporter(S, ["-i", "fe-bs", "--direction", "egress", "--map-size", str(2 * args.flows),
                                     "--active-timeout", "3", "--scan-ms", "1000", "--file", out])
        time.sleep(1.2)
        rss0, (mem0, entries) = rss_kb(p.pid), map_memlock(p.pid)
        n = args.flows
        sender = f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range({n}):
    s.sendto(b'f', ('10.47.21.1' if i % 2 else '10.47.22.1', 1 + (i // 2) % 65535))
"""
        t0 = time.monotonic()
        ns(S, f"python3 -c \"{sender}\"")
        results["send_s"] = time.monotonic() - t0
        time.sleep(1.5)
        mem1 = map_memlock(p.pid)[0]
        time.sleep(3)  # an active-timeout scan exports them all
        rss1 = rss_kb(p.pid)
        stop(p)
        err = open(errf).read()
        recs, pk = count_records(out)
        results["flows_sent"] = n
        results["records"] = recs
        results["record_packets"] = pk
        m = re.search(r"scan_us_max=(\d+)", err)
        results["scan_ms_max"] = int(m.group(1)) / 1000 if m else float("nan")
        results["stats"] = err.strip().splitlines()[-1]
        results["map_bytes_per_flow"] = (mem1 - mem0) / n  # 0 when preallocated
        results["map_bytes"] = mem1
        results["map_entries"] = entries
        results["rss_bytes_per_flow"] = (rss1 - rss0) * 1024 / n
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)


def report(results):
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    print(f"CPU: {cpu.group(1) if cpu else '?'}, {os.cpu_count()} CPUs, kernel {os.uname().release}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; iperf3 {'not pinned' if args.no_pin else 'pinned'}")

    def rng(k, scale=1.0, fmt=".0f"):
        lo, hi = results[k + "_range"]
        return f"{lo / scale:{fmt}}-{hi / scale:{fmt}}"
    if "udp_ratio" in results:
        print(f"forwarding, UDP 64-octet datagrams ({args.runs} runs each, median [range]): "
              f"{results['udp_without']:.0f} [{rng('udp_without')}] pkt/s without, "
              f"{results['udp_with']:.0f} [{rng('udp_with')}] with the programs: ratio {results['udp_ratio']:.3f} "
              f"(pairs {rng('udp_ratio', fmt='.3f')})")
        print(f"forwarding, TCP: {results['tcp_without'] / 1e9:.2f} [{rng('tcp_without', 1e9, '.2f')}] Gbit/s without, "
              f"{results['tcp_with'] / 1e9:.2f} [{rng('tcp_with', 1e9, '.2f')}] with: ratio {results['tcp_ratio']:.3f} "
              f"(pairs {rng('tcp_ratio', fmt='.3f')})")
    if "fe_ingress_ns" in results:
        print(f"BPF run time ({results['ns_runs']} runs, median [range]): fe_ingress {results['fe_ingress_ns']:.1f} "
              f"[{rng('fe_ingress_ns', fmt='.1f')}] ns/packet ({results['fe_ingress_runs']} packets), fe_egress "
              f"{results['fe_egress_ns']:.1f} [{rng('fe_egress_ns', fmt='.1f')}] ns/packet "
              f"({results['fe_egress_runs']} packets); an empty program {results['fe_empty_ns']:.1f} "
              f"[{rng('fe_empty_ns', fmt='.1f')}] ns/packet (what bpf_stats itself costs here)")
    if "hot" in results:
        print("hot, BPF_PROG_TEST_RUN (best of 3, ns per run): " +
              ", ".join(f"{k} {v}" for k, v in {**results["hot"], **results["hot_empty"]}.items()))
    if "records" in results:
        print(f"{results['flows_sent']} flows sent in {results['send_s']:.2f} s: {results['records']} records, "
              f"{results['record_packets']} packets; longest scan {results['scan_ms_max']:.1f} ms")
        print(f"memory: kernel maps (slot table and hash map) {results['map_bytes']} octets for {results['map_entries']} entries "
              f"({results['map_bytes'] / max(results['map_entries'], 1):.0f} per entry, {os.cpu_count()} CPUs; "
              f"grew by {results['map_bytes_per_flow']:.0f} per flow), exporter resident "
              f"{results['rss_bytes_per_flow']:.0f} octets per flow")
        print("exporter:", results["stats"])
        ok = results["records"] >= results["flows_sent"] and results["record_packets"] == results["flows_sent"]
        print(f"{results['flows_sent']} flows exported without loss:", "yes" if ok else "NO")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end kernel benchmark: how many of the IOAM events this machine's
kernel emits does each exporter export, at the highest rate ioam-inject can
send? Three network namespaces: sender S -> transit T -> receiver R. S sends
UDP carrying a Pre-allocated Trace (IPV6_HOPOPTS, ioam-inject); T and R fill
their node data; R's kernel emits one IOAM6 TRACE event per packet (T's go
to T's namespace, where no exporter listens). Every exporter runs in R at the
same time, all subscribed to the same multicast group, so they see the same
events; ioam-exporter writes IPFIX to /dev/null and prints events and lost
at exit.

usage: bench/kernel_e2e.py [--build DIR] [--count N] [--type HEX] [--rate PPS]
                           [--senders K] [--perf] [--perf-data FILE] [--netns-prefix P]
                           [--exporter PATH] [--exporter-args ARGS]
                           [-- 'OTHER EXPORTER COMMAND' ...]
For ioam-exporter it also reports the CPU time it used while the events came
(user + system, /proc/PID/stat, and the exact time on a CPU from
/proc/PID/schedstat) per exported event, its wake-ups per second
(voluntary context switches, /proc/PID/status) and its peak RSS (VmHWM);
--perf records it with `perf record -g` meanwhile and prints where the time
went (perf report, by symbol; --perf-data keeps the recording). --exporter
runs another ioam-exporter binary (to compare two builds in the same minutes).
Other exporters run under `sh -c` inside R; their last output lines are
reported (and events=/lost= counts when they print them). Needs root,
network namespaces, IPv6 IOAM with IOAM6 events and iproute2 with 'ip ioam';
exits 77 saying which is missing.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser(usage=__doc__)
ap.add_argument("--build", default=os.path.join(root, "build-bench"), help="build directory (default build-bench)")
ap.add_argument("--count", type=int, default=200000, help="packets to send (default 200000)")
ap.add_argument("--type", default="0xf00000", help="trace type (default 0xf00000)")
ap.add_argument("--rate", type=int, default=0, help="packets per second per sender, 0 = as fast as possible")
ap.add_argument("--senders", type=int, default=2, help="ioam-inject processes sending in parallel (default 2)")
ap.add_argument("--perf", action="store_true", help="perf record ioam-exporter while the events come")
ap.add_argument("--perf-data", default="", help="with --perf: keep the recording in FILE")
ap.add_argument("--netns-prefix", default="kb", help="prefix of the namespaces' names (default kb)")
ap.add_argument("--exporter", default="", help="ioam-exporter binary (default: the build directory's)")
ap.add_argument("--exporter-args", default="", help="more ioam-exporter options (e.g. '--coalesce-us 2000')")
ap.add_argument("others", nargs="*", help="other exporter commands, after --")
args = ap.parse_args()

suffix = str(os.getpid())
S, T, R = (args.netns_prefix + n + suffix for n in "STR")
IOAM_NS = 123


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def run_ns(pid):
    """Time on a CPU so far in ns (/proc/PID/schedstat: exact, not sampled by ticks)."""
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def proc_status(pid, key):
    """A line of /proc/PID/status (kB for memory, a count for others)."""
    m = re.search(rf"^{key}:\s+(\d+)(?: kB)?$", open(f"/proc/{pid}/status").read(), re.M)
    return int(m.group(1)) if m else None


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def sh(cmd, check=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{cmd}: {p.stderr.strip()}")
    return p


def ns(n, cmd):
    return sh(f"ip netns exec {n} {cmd}")


def setup():
    for n in (S, T, R):
        sh(f"ip netns add {n}")
        ns(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
        ns(n, "ip link set lo up")
    sh(f"ip link add s0 netns {S} type veth peer name t0 netns {T}")
    sh(f"ip link add t1 netns {T} type veth peer name r0 netns {R}")
    for n, dev, addr in ((S, "s0", "2001:db8:1::1"), (T, "t0", "2001:db8:1::2"), (T, "t1", "2001:db8:2::1"),
                         (R, "r0", "2001:db8:2::2")):
        ns(n, f"ip addr add {addr}/64 dev {dev}")
        ns(n, f"ip link set {dev} up")
    ns(S, "ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2")
    ns(R, "ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1")
    ns(T, "sysctl -qw net.ipv6.conf.all.forwarding=1")
    for n, node_id, ingress in ((T, 1, "t0"), (R, 2, "r0")):
        ns(n, f"sysctl -qw net.ipv6.ioam6_id={node_id} net.ipv6.conf.{ingress}.ioam6_enabled=1 "
              f"net.ipv6.conf.{ingress}.ioam6_id={node_id}0")
        ns(n, f"ip ioam namespace add {IOAM_NS}")


def teardown():
    for n in (S, T, R):
        sh(f"ip netns del {n}", check=False)


def counts(text):
    """events= and lost= of the last stats line, when there is one."""
    ev = re.findall(r"\bevents=(\d+)", text)
    lost = re.findall(r"\blost=(?:>=)?(\d+)", text)
    return (int(ev[-1]) if ev else None, int(lost[-1]) if lost else None)


def main():
    if os.geteuid() != 0:
        skip("needs root (network namespaces, CAP_NET_ADMIN for ioam6_events)")
    if not os.path.exists("/proc/sys/net/ipv6/ioam6_id"):
        skip("this kernel has no IPv6 IOAM (net.ipv6.ioam6_id missing)")
    if not shutil.which("ip") or sh("ip ioam namespace show", check=False).returncode != 0:
        skip("iproute2 with 'ip ioam' is missing")
    exporter = args.exporter or os.path.join(args.build, "exporters/ioam-exporter/ioam-exporter")
    inject = os.path.join(args.build, "exporters/ioam-inject/ioam-inject")
    for p in (exporter, inject):
        if not os.access(p, os.X_OK):
            print(f"FAIL: {p} is not built (ninja -C {args.build} exporters/ioam-exporter/ioam-exporter "
                  "exporters/ioam-inject/ioam-inject)")
            return 1
    try:
        setup()
    except RuntimeError as e:
        teardown()
        skip(f"cannot set up the namespaces: {e}")
    procs = []
    rc = 0
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        try:
            commands = [("ioam-exporter", f"exec {exporter} --file /dev/null {args.exporter_args}".rstrip())] + \
                       [(f"other {i + 1}", c) for i, c in enumerate(args.others)]
            for name, cmd in commands:
                log = os.path.join(d, f"{len(procs)}.log")
                p = subprocess.Popen(["ip", "netns", "exec", R, "sh", "-c", cmd], stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
                procs.append((name, cmd, p, log))
            deadline = time.time() + 10
            while time.time() < deadline and "subscribed" not in open(procs[0][3]).read():
                if procs[0][2].poll() is not None:
                    raise RuntimeError("ioam-exporter exited: " + open(procs[0][3]).read())
                time.sleep(0.05)
            time.sleep(1.0)  # the others: no common "ready" line
            xpid = procs[0][2].pid  # sh exec'd the exporter: same pid
            cpu0, run0 = cpu_seconds(xpid), run_ns(xpid)
            wakes0 = proc_status(xpid, "voluntary_ctxt_switches")
            perf = None
            if args.perf and shutil.which("perf"):
                perf_data = os.path.abspath(args.perf_data) if args.perf_data else os.path.join(d, "perf.data")
                perf = subprocess.Popen(["perf", "record", "-g", "-o", perf_data, "-p", str(xpid)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            share = [args.count // args.senders + (i < args.count % args.senders) for i in range(args.senders)]
            senders = [subprocess.Popen(["ip", "netns", "exec", S, inject, "--dst", "2001:db8:2::2", "--port", "9",
                                         "--type", args.type, "--nodes", "3", "--namespace", str(IOAM_NS),
                                         "--count", str(c), "--rate", str(args.rate)]) for c in share]
            if any(p.wait() != 0 for p in senders):
                raise RuntimeError("ioam-inject failed")
            sent_s = time.time() - t0
            time.sleep(2.0)  # let the exporters drain their sockets
            cpu = cpu_seconds(xpid) - cpu0
            run = run_ns(xpid) - run0 if run0 is not None else None
            wakes = proc_status(xpid, "voluntary_ctxt_switches") - wakes0
            hwm, rss = proc_status(xpid, "VmHWM"), proc_status(xpid, "VmRSS")
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=30)
            rx = ns(R, "cat /proc/net/snmp6")
            # No socket listens on the port: the datagrams count as NoPorts.
            delivered = sum(int(re.search(rf"{k}\s+(\d+)", rx.stdout).group(1))
                            for k in ("Udp6InDatagrams", "Udp6NoPorts"))
            print(f"injected {args.count} packets (trace type {args.type}, {args.senders} senders) in {sent_s:.2f} s: "
                  f"{args.count / sent_s / 1e3:.0f} kpps; R received {delivered} UDP datagrams "
                  f"(one IOAM6 event each)\n")
            print("| exporter | events exported | lost (reported) | of received |")
            print("|---|---:|---:|---:|")
            for name, cmd, p, log in procs:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                text = open(log, errors="replace").read()
                ev, lost = counts(text)
                part = f"{100 * ev / delivered:.1f}%" if ev is not None and delivered else "?"
                print(f"| {name}: `{cmd}` | {ev if ev is not None else '?'} | "
                      f"{lost if lost is not None else '?'} | {part} |")
                if ev is None:
                    print("  last output: " + " / ".join(text.strip().splitlines()[-3:]))
                if name == "ioam-exporter" and ev is None:
                    rc = 1
                if name == "ioam-exporter" and ev:
                    print(f"\nioam-exporter: {cpu:.2f} s of CPU while the events came: {cpu / ev * 1e6:.2f} us per "
                          f"exported event{f' ({run / ev:.0f} ns on CPU, schedstat)' if run else ''} at "
                          f"{ev / sent_s / 1e3:.0f} k events/s; {wakes / sent_s:.0f} wake-ups/s "
                          f"({ev / max(wakes, 1):.0f} events each); peak RSS {hwm} kB (now {rss} kB)\n")
            if perf:
                rep = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "--sort",
                                      "dso,symbol", "--percent-limit", "1.5", "-g", "none"],
                                     capture_output=True, text=True, timeout=120)
                print("where ioam-exporter's time went (perf report, self time by symbol):")
                print("\n".join(l for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")))
        except RuntimeError as e:
            print("FAIL:", e)
            rc = 1
        finally:
            for _, _, p, _ in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            teardown()
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""What the end-to-end test scripts share: named checks that collect their
failures, the skip exit (77), shell commands in and out of network
namespaces, and the preconditions of the real-kernel tests."""
import os
import shutil
import subprocess
import sys

failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def finish(name):
    """The exit status: 1 if any check failed."""
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"{name}: all checks passed")
    return 0


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def sh(cmd, check_rc=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{cmd}: {p.stderr.strip()}")
    return p


def ns(n, cmd, check_rc=True):
    return sh(f"ip netns exec {n} {cmd}", check_rc)


def require_ioam_netns(probe):
    """Skips unless root can create network namespaces (trying one named
    `probe`) on a kernel with IPv6 IOAM and an iproute2 with `ip ioam`."""
    if os.geteuid() != 0:
        skip("needs root (network namespaces, CAP_NET_ADMIN for ioam6_events)")
    if not os.path.exists("/proc/sys/net/ipv6/ioam6_id"):
        skip("this kernel has no IPv6 IOAM (net.ipv6.ioam6_id missing)")
    if not shutil.which("ip") or sh("ip ioam namespace show", check_rc=False).returncode != 0:
        skip("iproute2 with 'ip ioam' is missing")
    if sh(f"ip netns add {probe}", check_rc=False).returncode != 0:
        skip("cannot create network namespaces")
    sh(f"ip netns del {probe}")


def wait_subscribed(exporters, timeout=15):
    """Waits until every ioam-exporter in `exporters` ({name: (Popen, stderr
    file)}) says it subscribed to the IOAM6 events; skips when one cannot
    subscribe (exit 3), raises when one exits otherwise or time runs out."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        texts = {k: open(f).read() for k, (p, f) in exporters.items()}
        for k, (p, f) in exporters.items():
            if p.poll() is not None:
                if p.returncode == 3:
                    skip(f"exporter cannot subscribe: {texts[k].strip()}")
                raise RuntimeError(f"exporter {k} exited {p.returncode}: {texts[k]}")
        if all("subscribed" in t for t in texts.values()):
            return
        time.sleep(0.05)
    raise RuntimeError("exporters did not subscribe in time")

#!/usr/bin/env python3
"""ioam-flow-exporter's exit statuses that run_flow.py does not produce:

- 1, a runtime failure: the change to --user refused (setgroups, setgid and
  setuid fail with EPERM under fail_syscalls' seccomp filter) after the
  programs were attached; they must be detached all the same;
- 3, the kernel refused the eBPF programs: bpf() fails with ENOSYS under
  fail_syscalls, as on a kernel without eBPF;
- 4, an output that cannot be opened (--file in a missing directory);
- 6, missing privileges, as root of a user namespace: the kernel refuses
  bpf() outside the initial user namespace (EPERM).

On the loopback interface of a network namespace of its own (cm-exits).
Needs root; exits 77 and says why otherwise.

usage: run_exits.py IOAM_FLOW_EXPORTER FAIL_SYSCALLS"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip  # noqa: E402

exporter, fail = (os.path.abspath(p) for p in sys.argv[1:3])
NS = "cm-exits"


def run(*args):
    r = subprocess.run(["ip", "netns", "exec", NS, *args], capture_output=True, text=True, timeout=30)
    print(r.stderr, end="")
    return r


def filters():
    """Our tc filters on the namespace's lo (handle 0x10a3), ingress and egress."""
    n = 0
    for hook in ("ingress", "egress"):
        r = subprocess.run(["ip", "netns", "exec", NS, "tc", "filter", "show", "dev", "lo", hook],
                           capture_output=True, text=True)
        n += r.stdout.count("handle 0x10a3")
    return n


def main():
    if os.geteuid() != 0:
        skip("needs root (network namespace; as another user the privilege check exits 6 before any load)")
    for tool in ("ip", "tc", "unshare"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    if subprocess.run(["ip", "netns", "add", NS], capture_output=True).returncode != 0:
        skip("cannot create a network namespace")
    try:
        subprocess.run(["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"], check=True)
        out = ["-i", "lo", "--file", os.devnull]
        r = run(fail, "bpf", exporter, *out)
        check(r.returncode == 3 and "the kernel refused the eBPF programs" in r.stderr and "no eBPF" in r.stderr,
              f"no eBPF (bpf() answers ENOSYS): exit 3 ({r.returncode})")
        r = run(fail, "setuid", exporter, *out, "--user", "nobody")
        check(r.returncode == 1 and "cannot switch to user nobody" in r.stderr,
              f"the user change refused after attaching: exit 1 ({r.returncode})")
        check("attached to lo ingress" in r.stderr and filters() == 0, "... with the programs attached, then detached")
        r = run(exporter, "-i", "lo", "--file", "/nonexistent-cm/flows.ipfix")
        check(r.returncode == 4 and "/nonexistent-cm/flows.ipfix" in r.stderr, f"an output that cannot be opened: exit 4 ({r.returncode})")
        r = run("unshare", "--user", "--map-root-user", exporter, *out)
        if r.returncode != 6 and "unshare failed" in r.stderr:
            skip(f"no user namespaces here: {r.stderr.strip()}")
        check(r.returncode == 6 and "needs CAP_BPF" in r.stderr, f"root in a user namespace only: exit 6 ({r.returncode})")
        check(filters() == 0, "no filter of ours left on lo")
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    return finish("flow/exits")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""ioam-flow-exporter's exit statuses that run_flow.py does not produce:

- 3, the kernel refused the eBPF programs: run under no_bpf, a seccomp
  filter that makes bpf() fail with ENOSYS as a kernel without eBPF does;
- 6, missing privileges, in a user namespace: root there, but the kernel
  refuses bpf() outside the initial user namespace (EPERM).

Both on the loopback interface, nothing attached (the load fails first).
Needs root (for 3: as another user the privilege check answers 6 first);
exits 77 and says why otherwise.

usage: run_exits.py IOAM_FLOW_EXPORTER NO_BPF"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip  # noqa: E402

exporter, no_bpf = (os.path.abspath(p) for p in sys.argv[1:3])


def main():
    if os.geteuid() != 0:
        skip("needs root (as another user the privilege check exits 6 before any load)")
    r = subprocess.run([no_bpf, exporter, "-i", "lo", "--file", os.devnull], capture_output=True, text=True, timeout=30)
    print(r.stderr, end="")
    check(r.returncode == 3 and "the kernel refused the eBPF programs" in r.stderr,
          f"no eBPF (bpf() answers ENOSYS): exit 3 ({r.returncode}: {r.stderr.strip()[-200:]})")
    unshare = shutil.which("unshare")
    if not unshare:
        skip("unshare (util-linux) is not installed")
    r = subprocess.run([unshare, "--user", "--map-root-user", exporter, "-i", "lo", "--file", os.devnull],
                       capture_output=True, text=True, timeout=30)
    print(r.stderr, end="")
    if r.returncode != 6 and "unshare failed" in r.stderr:
        skip(f"no user namespaces here: {r.stderr.strip()}")
    check(r.returncode == 6 and "needs CAP_BPF" in r.stderr,
          f"root in a user namespace only: exit 6 ({r.returncode}: {r.stderr.strip()[-200:]})")
    return finish("flow/exits")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's demo against this build's programs, and the tshark command
it prints: run on its own, that command must decode the pcap the demo left
at Aramis, showing the Pre-allocated Traces (tshark) and the DEX options
(ioam.lua) with their flow id and sequence numbers.

usage: run_demo.py DEMO.SH BUILD_EXPORTERS_DIR
The demo exits 77 without root or an IOAM kernel; so does this test.
"""
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish  # noqa: E402

demo, bindir = sys.argv[1:3]
count = 3
with tempfile.TemporaryDirectory(prefix="ec-demo-") as d:
    pcap = os.path.join(d, "aramis.pcap")
    env = dict(os.environ, IOAM_DEMO_BIN=bindir, IOAM_DEMO_PCAP=pcap, IOAM_DEMO_PACKETS=str(count))
    r = subprocess.run(["bash", demo], env=env, capture_output=True, text=True, timeout=300)
    print(r.stdout + r.stderr)
    if r.returncode == 77:
        sys.exit(77)
    check(r.returncode == 0, f"demo.sh exit status {r.returncode}")
    check(os.path.getsize(pcap) > 24 if os.path.exists(pcap) else False, f"the demo left its pcap ({pcap})")
    cmds = [line for line in r.stdout.splitlines() if line.startswith("tshark ")]
    check(len(cmds) == 1 and "lua_script:" in cmds[0] and pcap in cmds[0],
          "the demo prints one tshark command, with the dissector and the pcap")
    if cmds:
        t = subprocess.run(shlex.split(cmds[0]), capture_output=True, text=True, timeout=120)
        rows = [line.split("\t") for line in t.stdout.splitlines()[1:]]
        traces = [x for x in rows if len(x) >= 5 and x[1] == "0"]
        dex = [x for x in rows if len(x) >= 8 and x[1] == "4"]
        check(t.returncode == 0 and "Lua Error" not in t.stdout + t.stderr, "the printed command runs cleanly")
        check(len(traces) == count and all(x[2] == "123" and int(x[3], 0) == 2 and int(x[4], 0) == 21 for x in traces),
              f"{count} Pre-allocated Traces: ns 123, Porthos's node id 2 and ingress id 21 ({traces})")
        check([x[5:8] for x in dex] == [["123", "7", str(i)] for i in range(count)],
              f"{count} DEX options: ns 123, flow id 7, sequence numbers 0..{count - 1} ({dex})")
sys.exit(finish("demo"))

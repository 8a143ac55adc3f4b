#!/usr/bin/env python3
"""The shipped IE definition files (exporters/ioam-exporter/ie/) are what
gen_ie writes from include/ioam/export/pen10383.hpp, so they cannot drift.
usage: check_ie_files.py GEN_IE IOAM_IES_XML IOAM_IESPEC"""
import subprocess
import sys

gen, xml, iespec = sys.argv[1:4]
bad = 0
for kind, path in (("xml", xml), ("iespec", iespec)):
    want = subprocess.run([gen, kind], capture_output=True, text=True, check=True).stdout
    if open(path).read() != want:
        print(f"FAIL: {path} is not current: regenerate it with `gen_ie {kind} > {path}`")
        bad += 1
    else:
        print(f"ok: {path} ({want.count(chr(10))} lines)")
sys.exit(1 if bad else 0)

#!/usr/bin/env python3
"""Issue 5: the stripped ioam-exporter is at most LIMIT octets. Strips a copy
of the built binary (whatever the build type: debug info and symbols are
what strip removes) and compares its size.

usage: stripped_size.py STRIP BINARY LIMIT"""
import os
import subprocess
import sys
import tempfile

strip, binary, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "stripped")
    subprocess.run([strip, "-o", out, binary], check=True)
    size = os.path.getsize(out)
print(f"{os.path.basename(binary)}: {os.path.getsize(binary)} octets built, {size} stripped, limit {limit}")
sys.exit(0 if size <= limit else 1)

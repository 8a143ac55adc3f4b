#!/usr/bin/env python3
"""The committed include/ioam/ipfix/iana.hpp is what generate.py makes from
iana-ipfix.csv and types.hpp today: regenerate into a temporary file and fail
with a diff when they differ (edit the CSV, then run generate.py)."""
import difflib
import os
import pathlib
import subprocess
import sys
import tempfile

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "IOAM_SOURCE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
gen = root / "include/ioam/ipfix/data/generate.py"
committed = root / "include/ioam/ipfix/iana.hpp"

with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / "iana.hpp"
    p = subprocess.run([sys.executable, str(gen), "-o", str(out)], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"generate.py failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        sys.exit(1)
    fresh = out.read_text(encoding="utf-8")

old = committed.read_text(encoding="utf-8") if committed.exists() else ""
if fresh != old:
    diff = difflib.unified_diff(old.splitlines(True), fresh.splitlines(True),
                                str(committed), "generate.py output")
    sys.stdout.writelines(list(diff)[:200])
    print(f"\n{committed} is stale: run python3 {gen.relative_to(root)}")
    sys.exit(1)
print(f"{committed.relative_to(root)} is up to date ({fresh.count(chr(10))} lines)")

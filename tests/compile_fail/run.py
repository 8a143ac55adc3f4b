#!/usr/bin/env python3
"""Compile-fail tests: each case must fail to compile, with the readable
message its first line names (`// expect: ...`); each `ok_*.cpp` is a positive
control that must compile, so a typo in the harness cannot pass as a failure."""
import pathlib
import shutil
import subprocess
import sys

here = pathlib.Path(__file__).parent
inc = pathlib.Path(sys.argv[1]) / "include"
compilers = [c for c in ("g++", "clang++") if shutil.which(c)]
failed = 0
for case in sorted(here.glob("*.cpp")):
    first = case.read_text().splitlines()[0]
    for cc in compilers:
        p = subprocess.run([cc, "-std=c++20", "-fsyntax-only", "-I", str(inc), str(case)],
                           capture_output=True, text=True)
        if case.name.startswith("ok_"):
            ok = p.returncode == 0
            why = "positive control compiles" if ok else "positive control FAILED to compile:\n" + p.stderr[-2000:]
        else:
            want = first.split("expect:", 1)[1].strip()
            ok = p.returncode != 0 and want in p.stderr
            why = (f"rejected with '{want}'" if ok else
                   f"expected failure with '{want}', got rc={p.returncode}:\n{p.stderr[-2000:]}")
        print(f"{'ok  ' if ok else 'FAIL'} {cc:8} {case.name}: {why}")
        failed += not ok
sys.exit(1 if failed else 0)

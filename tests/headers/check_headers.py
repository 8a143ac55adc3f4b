#!/usr/bin/env python3
"""Compile every public header alone (twice included, to check the guard)
with each available compiler: g++ and clang++, with exceptions and RTTI off
except for the one header that exists to throw."""
import concurrent.futures as cf
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(sys.argv[1])
inc = root / "include"
headers = sorted(p.relative_to(inc).as_posix() for p in (inc / "ioam").rglob("*.hpp"))
compilers = [c for c in ("g++", "clang++") if shutil.which(c)]
if not headers or not compilers:
    print("no headers or no compiler found")
    sys.exit(1)
# Headers that need an optional dependency are checked only when it is present.
optional = {"ioam/ipfix/ranges.hpp": "/usr/include/range/v3/view/transform.hpp"}

def check(job):
    cc, hdr = job
    if hdr in optional and not os.path.exists(optional[hdr]):
        return (cc, hdr, True, "skipped: dependency missing")
    flags = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only", "-I", str(inc)]
    if not hdr.endswith("core/throw.hpp"):
        flags += ["-fno-exceptions", "-fno-rtti"]
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(f'#include "{hdr}"\n#include "{hdr}"\nint main() {{ return 0; }}\n')
        name = f.name
    try:
        p = subprocess.run([cc, *flags, name], capture_output=True, text=True)
    finally:
        os.unlink(name)
    return (cc, hdr, p.returncode == 0, p.stderr[-4000:])

jobs = [(c, h) for c in compilers for h in headers]
failed = 0
with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
    for cc, hdr, ok, err in ex.map(check, jobs):
        print(f"{'ok  ' if ok else 'FAIL'} {cc:8} {hdr}" + (f"  ({err})" if ok and err else ""))
        if not ok:
            failed += 1
            print(err)
print(f"{len(jobs) - failed}/{len(jobs)} header compilations passed ({', '.join(compilers)})")
sys.exit(1 if failed else 0)

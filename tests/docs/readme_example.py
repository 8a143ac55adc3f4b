#!/usr/bin/env python3
"""The README's first example compiles (g++ and clang++) and prints what it says."""
import pathlib, re, shutil, subprocess, sys, tempfile

root = pathlib.Path(sys.argv[1])
code = re.search(r"```cpp\n(.*?)```", (root / "README.md").read_text(), re.S).group(1)
failed = 0
with tempfile.TemporaryDirectory() as d:
    src = pathlib.Path(d) / "example.cpp"
    src.write_text(code)
    for cc in [c for c in ("g++", "clang++") if shutil.which(c)]:
        exe = pathlib.Path(d) / f"example-{cc}"
        p = subprocess.run([cc, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-I", str(root / "include"),
                            str(src), "-o", str(exe)], capture_output=True, text=True)
        if p.returncode:
            print(f"FAIL {cc}: does not compile\n{p.stderr[-3000:]}")
            failed += 1
            continue
        out = subprocess.run([str(exe)], capture_output=True, text=True).stdout
        ok = out == "1500 octets on eth0\n"
        print(f"{'ok  ' if ok else 'FAIL'} {cc}: printed {out!r}")
        failed += not ok
sys.exit(1 if failed else 0)

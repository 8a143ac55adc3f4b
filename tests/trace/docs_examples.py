#!/usr/bin/env python3
"""The C++ examples in docs/trace.md and docs/netlink.md compile (with
-fno-exceptions, as library users may build)."""
import pathlib
import re
import subprocess
import sys
import tempfile

root = pathlib.Path(sys.argv[1])
cxx = sys.argv[2:]
failed = 0
for doc in ("docs/trace.md", "docs/netlink.md"):
    blocks = re.findall(r"```cpp\n(.*?)```", (root / doc).read_text(), re.S)
    if not blocks:
        print(f"FAIL {doc}: no C++ example found")
        failed += 1
        continue
    with tempfile.NamedTemporaryFile("w", suffix=".cpp") as f:
        f.write("\n".join(blocks) + "\nint main() { return 0; }\n")
        f.flush()
        p = subprocess.run([*cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fno-exceptions",
                            "-fsyntax-only", "-I", str(root / "include"), f.name], capture_output=True, text=True)
    print(("ok   " if p.returncode == 0 else "FAIL ") + f"{doc} ({len(blocks)} examples)")
    if p.returncode != 0:
        failed += 1
        print(p.stderr[-3000:])
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""node_layout rejects undefined, reserved and duplicate bits at compile time
with a readable message; a positive control shows the harness compiles a
valid layout (so a typo cannot make every case "fail as expected")."""
import subprocess
import sys
import tempfile

inc, cxx = sys.argv[1], sys.argv[2:]
pre = '#include "ioam/trace/layout.hpp"\nnamespace f = ioam::trace::fields;\nusing ioam::trace::field;\n'
cases = [
    ("positive control", "using L = ioam::trace::node_layout<f::hop_lim_node_id, f::queue_depth>;\n"
     "static_assert(L::node_len == 2);\nint main() {}\n", None),
    ("undefined bit 12", "using L = ioam::trace::node_layout<f::hop_lim_node_id, field<12>>;\n"
     "int main() { return static_cast<int>(L::node_len); }\n", "ioam: trace-type bits 12-21 are undefined"),
    ("reserved bit 23", "using L = ioam::trace::node_layout<field<23>>;\n"
     "int main() { return static_cast<int>(L::node_len); }\n", "ioam: trace-type bit 23 is reserved"),
    ("duplicate field", "using L = ioam::trace::node_layout<f::queue_depth, field<6>>;\n"
     "int main() { return static_cast<int>(L::node_len); }\n", "ioam: a field appears twice"),
    ("absent field", "using L = ioam::trace::node_layout<f::queue_depth>;\n"
     "int main() { return static_cast<int>(L::offset_of<ioam::trace::value_id::node_id>); }\n",
     "ioam: this field is not in the layout"),
]
failed = 0
for name, body, expect in cases:
    with tempfile.NamedTemporaryFile("w", suffix=".cpp") as f:
        f.write(pre + body)
        f.flush()
        p = subprocess.run([*cxx, "-std=c++20", "-fsyntax-only", "-I", inc, f.name], capture_output=True, text=True)
    if expect is None:
        ok = p.returncode == 0
    else:
        ok = p.returncode != 0 and expect in p.stderr
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        failed += 1
        print(p.stderr[-3000:])
sys.exit(1 if failed else 0)

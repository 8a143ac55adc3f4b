#!/usr/bin/env python3
"""The shipped IE definition files (exporters/ioam-exporter/ie/) are what
gen_ie writes from include/ioam/export/pen10383.hpp and rawexport.hpp, so they
cannot drift; the nfacctd primitives files are also checked against pmacct's
aggregate_primitives syntax (examples/primitives.lst.example).
usage: check_ie_files.py GEN_IE IOAM_IES_XML IOAM_IESPEC PEN10383_PRIMITIVES RAWEXPORT_PRIMITIVES"""
import re
import subprocess
import sys

gen, xml, iespec, prim_pen, prim_raw = sys.argv[1:6]
bad = 0
for kind, path in (("xml", xml), ("iespec", iespec), ("nfacctd-pen10383", prim_pen),
                   ("nfacctd-rawexport", prim_raw)):
    want = subprocess.run([gen, kind], capture_output=True, text=True, check=True).stdout
    if open(path).read() != want:
        print(f"FAIL: {path} is not current: regenerate it with `gen_ie {kind} > {path}`")
        bad += 1
    else:
        print(f"ok: {path} ({want.count(chr(10))} lines)")

# pmacct syntax: '!' comments; key=value pairs without spaces; unique names;
# integer semantics only for 1, 2, 4 or 8 octets; vlen only for raw.
rule = re.compile(r"^name=([a-z0-9_]+)\tfield_type=(?:(\d+):)?(\d+)\tlen=(\d+|vlen)\tsemantics=(u_int|hex|raw)$")
for path, count in ((prim_pen, 27), (prim_raw, 8)):  # pmacct cannot read element id 0; 26, 27: the statistics record
    names = []
    for line in open(path).read().splitlines():
        if line.startswith("!"):
            continue
        m = rule.match(line)
        if not m:
            print(f"FAIL: {path}: not a primitive: {line!r}")
            bad += 1
            continue
        names.append(m.group(1))
        if m.group(5) in ("u_int", "hex") and m.group(4) not in ("1", "2", "4", "8"):
            print(f"FAIL: {path}: {m.group(1)}: pmacct integers are 1, 2, 4 or 8 octets")
            bad += 1
        if m.group(4) == "vlen" and m.group(5) != "raw":
            print(f"FAIL: {path}: {m.group(1)}: variable length needs raw semantics")
            bad += 1
    if len(names) != count or len(set(names)) != len(names):
        print(f"FAIL: {path}: {len(names)} primitives ({len(set(names))} distinct), expected {count}")
        bad += 1
sys.exit(1 if bad else 0)

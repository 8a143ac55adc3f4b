#!/usr/bin/env python3
"""The exporter does not link OpenSSL: it loads the TLS module (ioam-tls.so,
exporters/common/tls_module.hpp) only for a TLS output, so a run without one
never maps libssl or libcrypto (docs/benchmarks.md: RSS). Checks the
program's NEEDED entries (readelf -d) and, as a negative control, that the
module itself needs libssl.

usage: check_needed.py READELF IOAM_EXPORTER TLS_MODULE
"""
import re
import subprocess
import sys


def needed(readelf, path):
    out = subprocess.run([readelf, "-d", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def main():
    readelf, exporter, module = sys.argv[1:4]
    prog, mod = needed(readelf, exporter), needed(readelf, module)
    print(f"ioam-exporter needs {prog}; the TLS module needs {mod}")
    if not prog:
        print("FAIL: no NEEDED entries read from the exporter")
        return 1
    openssl = [n for n in prog if n.startswith(("libssl", "libcrypto"))]
    if openssl:
        print(f"FAIL: ioam-exporter links {openssl}")
        return 1
    if not any(n.startswith("libssl") for n in mod):
        print("FAIL: the TLS module does not link libssl (the check would not see it)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

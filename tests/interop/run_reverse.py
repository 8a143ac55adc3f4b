#!/usr/bin/env python3
"""The reverse direction: libfixbuf (interop_fixbuf_export) writes an IPFIX
file and the values it appended; our decoder (the GoogleTest binary given as
the argument) reads the file and checks them. Temp files only.

Usage: run_reverse.py READ_FIXBUF_TEST
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    exporter = os.environ.get('INTEROP_FIXBUF_EXPORT')
    if not exporter:
        print('SKIP: libfixbuf was not found at configure time (libfixbuf-dev)')
        return SKIP
    elements = os.path.join(os.environ['INTEROP_DATA'], 'ioam-ies.xml')
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, 'fixbuf.ipfix')
        expected = os.path.join(tmp, 'fixbuf.expected')
        # libfixbuf can loop forever on some input: always bounded.
        subprocess.run(['timeout', '20', exporter, data, expected, elements], check=True, timeout=30)
        env = dict(os.environ, INTEROP_FIXBUF_FILE=data, INTEROP_FIXBUF_EXPECTED=expected)
        r = subprocess.run([sys.argv[1]], env=env, timeout=60)
        return r.returncode


if __name__ == '__main__':
    sys.exit(main())

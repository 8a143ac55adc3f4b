#!/usr/bin/env bash
# Remakes tests/data/wireshark/qemu-*.pcap: real IOAM DEX packets and DEX
# events from the kernel DEX series under qemu (kernel/run.sh), for the
# test wireshark/qemu. Not run by the test suite (it builds a kernel); run
# by hand as root after the series changes:
#
#   tests/wireshark/qemu/make-pcaps.sh                         # qemu-dex-*.pcap
#   IOAM_PCAP_PREFIX=qemu-series-dex tests/wireshark/qemu/make-pcaps.sh
#
# It copies the tree to $IOAM_KERNEL_WORK/src (default
# /var/tmp/ioam-kernel-ec: not the kernel tests' own work directory), adds
# the guest program eccap.c and the guest test t_ec_capture.sh from this
# folder, runs only the boot test and that one, and takes the three pcaps
# out of the console log, where the guest printed them in base64: the
# packets as the decapsulating node C receives them (an inline DEX route on
# A: namespace 123, trace type 0xc40000, flow id and sequence number, two
# flows of three datagrams) and the events of B and C (ioam-exporter
# --record).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${IOAM_KERNEL_WORK:-/var/tmp/ioam-kernel-ec}
prefix=${IOAM_PCAP_PREFIX:-qemu-dex}
rm -rf "$work/src"
mkdir -p "$work/src"
tar -C "$repo" --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$work/src"
cp "$here/eccap.c" "$here/t_ec_capture.sh" "$work/src/kernel/guest/"
sed -i 's/^tests="t_boot.sh .*"$/tests="t_boot.sh t_ec_capture.sh"/' "$work/src/kernel/guest/all.sh"
IOAM_KERNEL_WORK=$work CCACHE_DIR=${CCACHE_DIR:-$work/ccache} bash "$work/src/kernel/run.sh"
python3 - "$work/out/console.log" "$repo/tests/data/wireshark" "$prefix" <<'PY'
import base64, re, sys
cur, parts = None, {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("| "):
        line = line[2:].strip()
    m = re.match(r"=====EC-BEGIN (\S+)", line)
    if m:
        cur = m.group(1)
        parts[cur] = []
    elif line.startswith("=====EC-END"):
        cur = None
    elif cur and re.fullmatch(r"[A-Za-z0-9+/=]+", line):
        parts[cur].append(line)
p = sys.argv[3]
names = {"packets-C": f"{p}-packets.pcap", "events-B": f"{p}-events-B.pcap", "events-C": f"{p}-events-C.pcap"}
for k, v in parts.items():
    with open(f"{sys.argv[2]}/{names[k]}", "wb") as f:
        f.write(base64.b64decode("".join(v)))
    print(names[k], "written")
PY

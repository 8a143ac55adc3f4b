#!/bin/bash
# The guest runs the kernel we built, with IPv6 and IOAM.
set -e
uname -r | grep -q '^6\.12\.'
test -e /proc/sys/net/ipv6/ioam6_id
test -e /proc/sys/net/ipv6/conf/lo/ioam6_enabled
ip -V
bash -c 'echo bash ok'
# as many CPUs as run.sh gave qemu (two by default: the locking is only
# exercised with two)
want=$(sed -n 's/.*ioam_cpus=\([0-9]*\).*/\1/p' /proc/cmdline)
have=$(grep -c '^processor' /proc/cpuinfo)
echo "cpus: $have (wanted ${want:-?})"
[ "$have" = "${want:-1}" ]

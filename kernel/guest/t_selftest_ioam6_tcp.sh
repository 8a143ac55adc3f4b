#!/bin/bash
# The series' in-tree selftest, tools/testing/selftests/net/ioam6_tcp.sh,
# run as the kselftest runner would (from its directory, with lib.sh):
# TCP at full MTU through inline and encap IOAM routes, TSO/GSO on and off.
cd /tests/upstream || exit 1
[ -x ./ioam6_tcp.sh ] || { echo "ioam6_tcp.sh missing from the tree"; exit 1; }
./ioam6_tcp.sh
rc=$?
echo "ioam6_tcp.sh exit status $rc"
# 0 is a pass; 4 (skip) is a failure here: the harness has every tool
[ $rc = 0 ]

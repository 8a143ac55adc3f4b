#!/bin/bash
# The guest runs the kernel we built, with IPv6 and IOAM.
set -e
uname -r | grep -q '^6\.12\.'
test -e /proc/sys/net/ipv6/ioam6_id
test -e /proc/sys/net/ipv6/conf/lo/ioam6_enabled
ip -V
bash -c 'echo bash ok'

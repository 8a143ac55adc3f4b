#!/bin/bash
# DEX in inline mode: the encapsulating node (A), the transit node (B) and
# the destination (C) each report every packet with their own data fields.
. /tests/ioamtest.sh
. /tests/dex_common.sh
topo_up
run_dex_path mode inline && dex_path_check inline
# the route dumps back as DEX
route_dumped() { ip netns exec A ip -6 route show db02::/64 | grep -q 'encap ioam6'; }
check "route dump shows the IOAM encap" route_dumped
finish

#!/bin/bash
# On the reference kernel (kernel/reference, IOAM_PATCH_DIR): records its
# DEX events, the per-field shape, for tests/data/netlink/
# kernel-6.12-reference.rec. The DEX route is configured with ioam-route
# (the reference uses the same tunnel attribute numbers: 7 option type,
# 8 DEX header). 3 flows x 5 datagrams A -> C, inline and encap, type
# 0xfef002 (bits 0-6, 8-11, 22) with flow id and sequence number; every
# event of A, B and C is printed as "REC <node> <mode> <hex>".
. /tests/ioamtest.sh
. /tests/dex_common.sh
MON_ARGS=-x
topo_up
for mode in inline encap; do
	args="mode $mode"
	[ $mode = encap ] && args="mode encap tundst db02::2"
	run_dex_path $args || fail "$mode: dex path"
	check "$mode: C received the 15 datagrams" eq "$(received)" 15
	for n in A B C; do
		check "$mode: $n recorded 15 events" eq "$(grep -c '^RAW' "$T/$n.ev")" 15
		grep '^RAW' "$T/$n.ev" | sed "s/^RAW msg=/REC $n $mode /"
	done
done
finish

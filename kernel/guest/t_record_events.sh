#!/bin/bash
# Records real IOAM6 events of this kernel for the user-space decoder tests
# (tests/data/netlink/): the raw generic netlink messages of a DEX route
# (type 0xfef002 with an opaque state snapshot on B, flow id and sequence
# number) at A, B and C, and of a Pre-allocated Trace at B and C, printed
# as "REC <node> <kind> <hex>". Checks that each event was recorded.
. /tests/ioamtest.sh
. /tests/dex_common.sh
MON_ARGS=-x
topo_up
run_dex_path mode inline || fail "dex path"
for n in A B C; do
	check "DEX: $n recorded each event" eq "$(grep -c '^RAW' "$T/$n.ev")" "$(nevents $n)"
	grep '^RAW' "$T/$n.ev" | head -2 | sed "s/^RAW msg=/REC $n dex /"
done
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	mode inline trace prealloc ns 123 type 0xf00002 size 80 || fail "trace route"
monitors_start B C && receiver_start || fail "monitors"
nsx A dexsend -c 1 db02::2 5000
wait_all
for n in B C; do
	check "TRACE: $n recorded its event" eq "$(grep -c '^RAW' "$T/$n.ev")/$(nevents $n TRACE)" 1/1
	grep '^RAW' "$T/$n.ev" | sed "s/^RAW msg=/REC $n trace /"
done
finish

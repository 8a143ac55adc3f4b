#!/bin/bash
# The iproute2 patch (kernel/iproute2, built against Debian's iproute2 6.1)
# configures DEX routes and prints them back; Pre-allocated Trace routes
# are unchanged. Runs only when kernel/run.sh got IOAM_IPROUTE2_IP.
. /tests/ioamtest.sh
topo_up
IP=/bin/ip-dex
shows() { # shows EXPECTED: the route of A prints EXPECTED
	local out
	out=$(ip netns exec A $IP -6 route show db02::/64)
	echo "  $out"
	echo "$out" | grep -q -- "$1"
}

nsx A $IP -6 route replace db02::/64 encap ioam6 mode inline dex ns 123 type 0xc00000 ext 0xc0 \
	via db01::1 dev veth0 || fail "inline DEX route"
check "inline DEX route prints back" shows "encap ioam6 freq 1/1 mode inline dex ns 123 type 0xc00000 ext 0xc0"
monitors_start A B C && receiver_start
nsx A dexsend -c 3 -f 2 -i 2000 db02::2 5000
wait_all
check "inline: 6 delivered, 6 events at each node" eq "$(received)/$(nevents A)/$(nevents B)/$(nevents C)" "6/6/6/6"
check "inline: per-flow sequences at C" seq_ok C 2 3
check "inline: hop limit/node id and interfaces at B" eq "$(values B hlni) $(values B ifs)" "0x3f000002 0x00150016"

nsx A $IP -6 route replace db02::/64 encap ioam6 freq 1/2 mode encap tunsrc db01::2 tundst db02::2 \
	dex ns 123 type 0x800000 ext 0x80 via db01::1 dev veth0 || fail "encap DEX route"
check "encap DEX route with tunsrc prints back" \
	shows "freq 1/2 mode encap tunsrc db01::2 tundst db02::2 dex ns 123 type 0x800000 ext 0x80"
monitors_start C && receiver_start
nsx A dexsend -c 6 -i 2000 db02::2 5000
wait_all
check "encap 1/2: 6 delivered, 3 events with flow ids at C" \
	eq "$(received)/$(nevents C)/$(events C | grep -c ' flow=0x')" "6/3/3"

nsx A $IP -6 route replace db02::/64 encap ioam6 trace prealloc type 0x800000 ns 123 size 12 \
	via db01::1 dev veth0 || fail "trace route"
check "Pre-allocated Trace route prints as before" shows "trace prealloc type 0x800000 ns 123 size 12"
check "a DEX route without ns is refused" \
	bash -c "! ip netns exec A $IP -6 route replace db02::/64 encap ioam6 dex type 0x800000 dev veth0 2>/dev/null"
finish

#!/bin/bash
# Route configuration: what the kernel accepts and refuses for DEX, and that
# routes read back.
. /tests/ioamtest.sh
topo_up
r() { ip netns exec A ioam-route route replace db02::/64 via db01::1 dev veth0 "$@"; }
refused() { local out; out=$(r "$@" 2>&1) && { echo "  accepted: $*"; return 1; }; echo "  $out"; }
check "bit 7 (checksum complement) refused" refused dex ns 123 type 0x010000
check "undefined bit 12 refused" refused dex ns 123 type 0x000800
check "reserved bit 23 refused" refused dex ns 123 type 0x000001
check "unknown extension flag refused" refused dex ns 123 type 0x800000 ext 0x20
check "empty DEX refused" refused dex ns 123 type 0
check "encap mode needs tundst" refused mode encap dex ns 123 type 0x800000
check "inline mode with tunsrc refused" refused mode inline tunsrc db01::2 dex ns 123 type 0x800000
check "extension flags alone accepted" r dex ns 123 type 0 ext 0xc0
check "all supported bits accepted" r dex ns 123 type 0xfef002 ext 0xc0
check "Pre-allocated Trace still accepted" r trace prealloc ns 123 type 0x800000 size 12
check "Pre-allocated Trace with Debian's iproute2 6.1" \
	ip netns exec A ip -6 route replace db02::/64 encap ioam6 trace prealloc type 0x800000 ns 123 size 12 via db01::1 dev veth0
shown() {
	local out
	out=$(ip netns exec A ip -6 route show db02::/64)
	echo "  $out"
	echo "$out" | grep -q "encap ioam6 .*trace prealloc type 0x800000 ns 123 size 12"
}
check "Pre-allocated Trace route dumps as before (iproute2 6.1)" shown
r dex ns 123 type 0x800000 ext 0xc0
dex_shown() {
	local out
	out=$(ip netns exec A ip -6 route show db02::/64) || return 1
	echo "  $out"
	echo "$out" | grep -q "encap ioam6" && ! echo "$out" | grep -q "trace prealloc"
}
check "DEX route dump is readable by iproute2 6.1 (no trace shown)" dex_shown
finish

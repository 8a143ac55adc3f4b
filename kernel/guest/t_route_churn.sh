#!/bin/bash
# Route replace/delete, schema change and netns teardown while traffic
# flows through DEX and Pre-allocated Trace routes, on two CPUs: every
# configuration change succeeds, the kernel logs no warning, and a new
# topology works afterwards. (KASAN/kmemleak/lockdep: kernel/README.md,
# IOAM_KERNEL_DEBUG=1.)
. /tests/ioamtest.sh
topo_up
R="nsx A ioam-route route"
$R replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline dex ns 123 type 0xfef002 ext 0xc0 || fail "route"
# no process in B: its namespace must really go away when deleted
monitors_start C || fail "monitors"
receiver_start || fail "receiver"
# traffic: 8 flows, both CPUs (two senders)
nsx A dexsend -c 1500 -f 4 -i 1000 db02::2 5000 2>/dev/null & s1=$!
nsx A dexsend -c 1500 -f 4 -i 1000 db02::2 5000 2>/dev/null & s2=$!
ok=0 n=0
for i in 1 2 3 4 5 6; do
	for cfg in "mode inline dex ns 123 type 0xfef002 ext 0xc0" \
		   "mode encap tundst db02::2 dex ns 123 type 0x800000 ext 0x40" \
		   "mode inline freq 1/3 dex ns 123 type 0xc00000 ext 0x80" \
		   "mode inline trace prealloc ns 123 type 0xf00002 size 64" \
		   "mode encap tundst db02::2 trace prealloc ns 123 type 0x800000 size 12"; do
		n=$((n + 1))
		$R replace db02::/64 via db01::1 dev veth0 encap ioam6 $cfg && ok=$((ok + 1))
	done
	# schema change on B under traffic
	n=$((n + 3))
	nsx B ioam-route ns set-schema 123 none && ok=$((ok + 1))
	nsx B ioam-route schema del 7 && ok=$((ok + 1))
	nsx B ioam-route schema add 7 0102030405060708 && nsx B ioam-route ns set-schema 123 7 && ok=$((ok + 1))
	# delete and re-add
	n=$((n + 1))
	$R del db02::/64 via db01::1 dev veth0 && ip netns exec A ip -6 route add db02::/64 via db01::1 dev veth0 && ok=$((ok + 1))
done
check "all $n configuration changes under traffic succeeded" eq "$ok" "$n"
$R replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline dex ns 123 type 0xfef002 ext 0xc0 || fail "route"
# tear the transit node's namespace down while packets are in flight
nsx A dexsend -c 1000 -f 2 -i 1000 db02::2 5000 2>/dev/null & s3=$!
sleep 0.3
ip netns del B
wait $s1 $s2 $s3
wait_all
check "events seen at C before the teardown" test "$(nevents C)$(nevents C TRACE)" != 00
topo_down
sleep 1
topo_up
$R replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline dex ns 123 type 0x800000 ext 0xc0 || fail "route"
monitors_start B C && receiver_start || fail "monitors"
nsx A dexsend -c 5 db02::2 5000
wait_all
check "new topology: 5 delivered, 5 events at B and C" eq "$(received)/$(nevents B)/$(nevents C)" 5/5/5
check "no kernel warning" bash -c "! dmesg | grep -E 'WARNING|BUG|unreferenced object|circular|inconsistent lock'"
finish

#!/bin/bash
# Injection frequency "k over n": with freq 2/5, 20 packets get 8 DEX
# headers (packets 0,1,5,6,...), all 20 are delivered. With only the
# sequence number flag (0x40), the sequence number is per route and is the
# first optional field; with only the flow id flag there is no sequence.
. /tests/ioamtest.sh
topo_up

nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	freq 2/5 dex ns 123 type 0x800000 ext 0x40 || fail "route freq 2/5"
monitors_start A B C && receiver_start
nsx A dexsend -c 20 -i 2000 db02::2 5000
wait_all
check "freq 2/5: 20 datagrams delivered" eq "$(received)" 20
for n in A B C; do
	check "freq 2/5: $n reported 8 events" eq "$(nevents $n)" 8
	check "freq 2/5: $n sequence 0..7 (read from the first optional field)" \
		eq "$(events $n | sed -n 's/.* seq=\([0-9]*\).*/\1/p' | tr '\n' ' ')" "0 1 2 3 4 5 6 7 "
	check "freq 2/5: $n no flow id" eq "$(values $n flow)" ""
done

nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode encap \
	tundst db02::2 freq 1/3 dex ns 123 type 0x800000 ext 0x80 || fail "route freq 1/3"
monitors_start A B C && receiver_start
nsx A dexsend -c 9 -f 2 -i 2000 db02::2 5000
wait_all
check "freq 1/3 (encap): 18 datagrams delivered" eq "$(received)" 18
for n in A B C; do
	check "freq 1/3: $n reported 6 events" eq "$(nevents $n)" 6
	check "freq 1/3: $n flow ids, no sequence numbers" \
		eq "$(events $n | grep -c ' flow=0x')/$(values $n seq)" "6/"
done

# 1/1000000: only the first packet
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	freq 1/1000000 dex ns 123 type 0x800000 || fail "route freq 1/1000000"
monitors_start B && receiver_start
nsx A dexsend -c 10 -i 2000 db02::2 5000
wait_all
check "freq 1/1000000: 10 delivered, 1 event" eq "$(received)/$(nevents B)" "10/1"

# k > n and k = 0 are refused
check "freq 3/2 refused" bash -c "! ip netns exec A ioam-route route replace db02::/64 via db01::1 dev veth0 freq 3/2 dex ns 123 type 0x800000 2>/dev/null"
check "freq 0/2 refused" bash -c "! ip netns exec A ioam-route route replace db02::/64 via db01::1 dev veth0 freq 0/2 dex ns 123 type 0x800000 2>/dev/null"
finish

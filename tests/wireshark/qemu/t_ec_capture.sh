#!/bin/bash
# Guest test of tests/wireshark/qemu/make-pcaps.sh: real DEX packets
# (kernel-inserted by an inline route on A) as C receives them, and the DEX
# events of B and C recorded by ioam-exporter --record; each pcap is printed
# in base64 between markers.
. /tests/ioamtest.sh
topo_up
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0xc40000 ext 0xc0 || fail "route"
nsx B ioam-exporter --record "$T/events-B.pcap" --file /dev/null --keep-privileges 2> "$T/exp-B.log" &
nsx C ioam-exporter --record "$T/events-C.pcap" --file /dev/null --keep-privileges 2> "$T/exp-C.log" &
nsx C /tests/eccap veth0 "$T/packets-C.pcap" 4 &
cap=$!
sleep 1
receiver_start
nsx A dexsend -c 3 -f 2 -i 20000 db02::2 5000
wait $RX_PID
wait $cap
for p in $(ip netns pids B) $(ip netns pids C); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ioam-exporter ] && kill -INT $p
done
sleep 1
cat "$T"/exp-*.log
for f in packets-C events-B events-C; do
	echo "=====EC-BEGIN $f"
	base64 "$T/$f.pcap"
	echo "=====EC-END $f"
done
check "6 datagrams delivered" eq "$(received)" 6
finish

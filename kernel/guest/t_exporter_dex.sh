#!/bin/bash
# End to end: DEX events of the encapsulating (A), transit (B) and
# decapsulating (C) nodes go through ioam-exporter (one per node) as IPFIX
# to ioam-collector (on A), which decodes them back to the expected values.
. /tests/ioamtest.sh
if [ -e /tests/exporter-build-failed ]; then
	echo "ioam-exporter/ioam-collector did not build:"; cat /tests/exporter-build-failed
	exit 1
fi
topo_up
# only db02::/64 carries DEX: the exports to A (db01::2) do not loop
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0xc40000 ext 0xc0 || fail "route"

stop() { # stop NS PROGRAM: `ip netns exec` forks, find the process by name
	for p in $(ip netns pids "$1" 2>/dev/null); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] && kill -INT "$p" 2>/dev/null
	done
	return 0
}
nsx A ioam-collector --listen '[::]:4739' --count 18 --idle-exit 10 > "$T/records" 2> "$T/collector.log" &
col=$!
nsx A ioam-exporter --collector '[::1]:4739' --observation-domain 1 --flush-ms 50 2> "$T/exp-A.log" &
nsx B ioam-exporter --collector '[db01::2]:4739' --observation-domain 2 --flush-ms 50 2> "$T/exp-B.log" &
nsx C ioam-exporter --collector '[db01::2]:4739' --observation-domain 3 --flush-ms 50 2> "$T/exp-C.log" &
sleep 1
receiver_start
nsx A dexsend -c 3 -f 2 -i 20000 db02::2 5000
sleep 0.5
term $RX_PID
wait $RX_PID
sleep 1
for n in A B C; do stop $n ioam-exporter; done
i=0; while kill -0 $col 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $col 2>/dev/null
wait 2>/dev/null
cat "$T/records"
echo "--- collector"; cat "$T/collector.log"
echo "--- exporters"; tail -n 2 "$T"/exp-*.log

node() { grep "node_id=$1 " "$T/records"; }
check "6 datagrams delivered" eq "$(received)" 6
check "18 DEX records decoded" eq "$(grep -c '^DEX' "$T/records")" 18
check "namespace 123, type 0xc40000 everywhere" eq "$(grep -c '^DEX.* ns 123 type 0xc40000' "$T/records")" 18
check "6 records per node" eq "$(node 1 | wc -l)/$(node 2 | wc -l)/$(node 3 | wc -l)" "6/6/6"
check "A: hop limit 64, no ingress, egress 11, namespace data" \
	eq "$(node 1 | grep -c 'hop_limit=64 node_id=1 ingress_id=unavailable egress_id=11 namespace_data=2711724449')" 6
check "B: hop limit 63, interfaces 21 -> 22, namespace data" \
	eq "$(node 2 | grep -c 'hop_limit=63 node_id=2 ingress_id=21 egress_id=22 namespace_data=2998055602')" 6
check "C: hop limit 62, ingress 31" eq "$(node 3 | grep -c 'hop_limit=62 node_id=3 ingress_id=31')" 6
# per flow, its sequence numbers less its first one (a flow starts from
# the namespace's sequence base)
seqs() { node "$1" | sed -n 's/.* flow \([0-9]*\) seq \([0-9]*\).*/\1 \2/p' | sort -k1,1 -k2n | awk '{ if (!($1 in b)) b[$1] = $2; s[$1] = s[$1] ($2 - b[$1]) } END { for (f in s) print s[f] }' | sort | tr '\n' ' '; }
for n in 1 2 3; do
	check "node $n: two flows, 3 consecutive sequence numbers each" eq "$(seqs $n)" "012 012 "
done
check "the same (flow, sequence) pairs at the three nodes" \
	eq "$(node 1 | sed -n 's/.* flow \([0-9]*\) seq \([0-9]*\).*/\1 \2/p' | sort | tr '\n' ' ')" \
	   "$(node 3 | sed -n 's/.* flow \([0-9]*\) seq \([0-9]*\).*/\1 \2/p' | sort | tr '\n' ' ')"
finish

#!/bin/bash
# Event flood: B limits its events to 200/s (burst 50) while A sends a
# burst of DEX packets as fast as it can. The limit holds (B sends at most
# burst + rate x elapsed events), every packet is either reported or
# counted as suppressed (IOAM6_CMD_GET_EVENT_STATS, read by dexmon -s), the
# packets are all delivered, the listeners (dexmon and ioam-exporter) get
# every event B sent (and ioam-exporter, unprivileged, reports B's sent and
# suppressed counts as the kernel does, on its statistics line and in its
# IPFIX statistics record, which the host decodes with ipfixDump: the
# IPFIX64/HOSTCHECK lines, kernel/run.sh), and C, at the default limit
# (10000/s, burst 1000), reports every packet.
. /tests/ioamtest.sh
N=${FLOOD_PACKETS:-3000}
RATE=200
BURST=50
KEEP_EVENT_LIMIT=1
topo_up
check "default limit: 10000/s, burst 1000" \
	eq "$(nsx C sysctl -n net.ipv6.ioam6_event_rate)/$(nsx C sysctl -n net.ipv6.ioam6_event_burst)" 10000/1000
nsx B sysctl -qw net.ipv6.ioam6_event_rate=$RATE || fail "sysctl rate"
nsx B sysctl -qw net.ipv6.ioam6_event_burst=$BURST || fail "sysctl burst"
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0x800000 ext 0x40 || fail "route"

# stat NODE KEY: a counter of IOAM6_CMD_GET_EVENT_STATS
stat() { nsx "$1" dexmon -s | tr ' ' '\n' | sed -n "s/^$2=//p"; }
stop() { # stop NS PROGRAM
	for p in $(ip netns pids "$1" 2>/dev/null); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] && kill -INT "$p" 2>/dev/null
	done
	return 0
}
sent0=$(stat B sent); supp0=$(stat B suppressed); csupp0=$(stat C suppressed)
check "B's counters readable" eq "$(test -n "$sent0" && test -n "$supp0" && echo ok)" ok

have_exporter=0
if [ ! -e /tests/exporter-build-failed ]; then
	have_exporter=1
	nsx B ioam-exporter --file "$T/b.ipfix" --flush-ms 50 2> "$T/exp-B.log" &
fi
monitors_start B C || fail "monitors"
sleep 0.5
receiver_start || fail "receiver"
t0=$(cut -d' ' -f1 /proc/uptime)
nsx A dexsend -c "$N" -i 0 db02::2 5000
t1=$(cut -d' ' -f1 /proc/uptime)
wait_all
stop B ioam-exporter
sleep 1
sent=$(($(stat B sent) - sent0)); supp=$(($(stat B suppressed) - supp0))
limit=$(awk -v b=$BURST -v r=$RATE -v a="$t0" -v z="$t1" 'BEGIN { printf "%d", b + r * (z - a + 0.5) + 1 }')
echo "  $N packets in $(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.2f", z - a }') s: B sent $sent, suppressed $supp (limit $limit)"
check "all $N datagrams delivered" eq "$(received)" "$N"
check "B: every packet reported or counted as suppressed" eq "$((sent + supp))" "$N"
check "B: the limit holds ($sent <= $limit)" test "$sent" -le "$limit"
check "B: events were suppressed" test "$supp" -gt 0
check "B: dexmon got every event B sent" eq "$(nevents B)" "$sent"
check "B: no ENOBUFS at the listener" bash -c "! grep -q ENOBUFS $T/B.ev"
check "C (default limit): every packet reported, none suppressed" \
	eq "$(nevents C)/$(($(stat C suppressed) - csupp0))" "$N/0"
if [ $have_exporter = 1 ]; then
	cat "$T/exp-B.log"
	check "ioam-exporter on B: got every event B sent, lost none" \
		grep -q "stats (exit): events=$sent .* lost=0 enobufs=0" "$T/exp-B.log"
	# the kernel's counters (IOAM6_CMD_GET_EVENT_STATS), since the
	# exporter started, read by the exporter after it dropped every
	# privilege (no helper process)
	check "ioam-exporter on B: reports the kernel's sent and suppressed counts" \
		grep -q "stats (exit): kernel: sent=$sent suppressed=$supp\$" "$T/exp-B.log"
	check "ioam-exporter on B: one process, none left" \
		eq "$(for p in $(ip netns pids B); do cat /proc/$p/comm; done 2>/dev/null | grep -c ioam-exporter)" 0
	# its IPFIX file, for the host to decode with ipfixDump (kernel/run.sh)
	check "ioam-exporter on B: wrote its IPFIX file" test -s "$T/b.ipfix"
	gzip -9c "$T/b.ipfix" | base64 | sed 's/^/IPFIX64 event_flood /'
	echo "HOSTCHECK event_flood ioamKernelEventsSent=$sent ioamKernelEventsSuppressed=$supp"
fi
# unprivileged, the kernel still answers (patch 0005): nobody's dexmon -s
check "an unprivileged process reads its netns's counters" \
	bash -c "ip netns exec B su -s /bin/sh nobody -c '$(command -v dexmon) -s' | grep -q '^STATS sent=[0-9]* suppressed=[0-9]*\$'"
finish

#!/bin/bash
# TCP bulk transfers from A to C at full MTU (1500 everywhere, no MSS
# clamp) through IOAM routes, inline and encap, with the offloads on (TSO
# and GSO at A, GRO at B and C) and off:
# - the transfer completes: the route keeps room for the inserted headers
#   out of its MTU, so the MSS shrinks (it used to stall);
# - encap mode drops no GSO frame (tx_dropped at A stays 0);
# - DEX: every wire packet carries its own sequence number: B and C report
#   one event per wire packet (at least BYTES/1500 of them), sequence
#   numbers 0..N-1 each exactly once, the same at A, B and C, and one flow
#   id for the whole connection; with freq 1/4, one packet in four.
. /tests/ioamtest.sh
BYTES=${TCP_BYTES:-1000000}
topo_up

stat() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }

offloads() { # offloads on|off
	local v=$1
	nsx A ethtool -K veth0 tso "$v" gso "$v" || fail "ethtool A veth0 $v"
	nsx B ethtool -K veth0 gro "$v" || fail "ethtool B veth0 gro $v"
	nsx B ethtool -K veth1 tso "$v" gso "$v" || fail "ethtool B veth1 $v"
	nsx C ethtool -K veth0 gro "$v" || fail "ethtool C veth0 gro $v"
}

# seqs_once NODE N: the node's N sequence numbers are consecutive, each
# once (the connection's flow starts from the namespace's sequence base)
seqs_once() {
	local lo hi
	lo=$(flowseq "$1" | awk '{ print $2 }' | sort -n | head -1)
	hi=$(flowseq "$1" | awk '{ print $2 }' | sort -n | tail -1)
	[ "$(flowseq "$1" | awk '{ print $2 }' | sort -n | uniq | wc -l)" = "$2" ] &&
	[ "$(flowseq "$1" | wc -l)" = "$2" ] &&
	[ "$((hi - lo))" = "$(($2 - 1))" ]
}
same_pairs() { [ "$(flowseq "$1" | sort)" = "$(flowseq "$2" | sort)" ]; }
no_enobufs() { ! grep -q ENOBUFS "$T"/*.ev; }
ge() { [ "$1" -ge "$2" ] || { echo "  $1 < $2"; return 1; }; }

# tcp_run NAME KIND(dex|pto|freq): one transfer A -> C, then the checks
tcp_run() {
	local m=$1 kind=$2 drops rx nA nB nC
	monitors_start A B C || { fail "$m: monitors"; return; }
	rm -f "$T/tcprx"
	nsx C tcpbulk -l 5001 -t 150 > "$T/tcprx" &
	local rxpid=$! i=0
	until grep -q READY "$T/tcprx" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
	done
	drops=$(stat A veth0 tx_dropped)
	rx=$(stat B veth0 rx_packets)
	nsx A tcpbulk -t 150 db02::2 5001 "$BYTES" || fail "$m: sender"
	wait $rxpid
	wait_all
	rx=$(($(stat B veth0 rx_packets) - rx))
	check "$m: C received all $BYTES bytes" eq "$(sed -n 's/^RECEIVED //p' "$T/tcprx")" "$BYTES"
	check "$m: no frame dropped at A (tx_dropped)" eq "$(($(stat A veth0 tx_dropped) - drops))" 0
	nA=$(nevents A); nB=$(nevents B); nC=$(nevents C)
	echo "  $m: $rx packets at B, DEX events A=$nA B=$nB C=$nC"
	case $kind in
	dex)
		check "$m: B one event per wire packet (>= $((BYTES / 1500)))" ge "$nB" $((BYTES / 1500))
		check "$m: A, B and C reported the same number of packets" eq "$nA/$nC" "$nB/$nB"
		check "$m: one flow id for the connection" eq "$(values B flow | wc -w)" 1
		check "$m: B N consecutive sequence numbers, each once" seqs_once B "$nB"
		check "$m: C N consecutive sequence numbers, each once" seqs_once C "$nC"
		check "$m: same (flow, sequence) pairs at A, B and C" same_pairs A B
		check "$m: same (flow, sequence) pairs at B and C" same_pairs B C
		check "$m: no event lost by the monitors" no_enobufs
		;;
	freq)
		# rx counts the wire packets (ND included, a handful)
		check "$m: at least $((BYTES / 1500)) wire packets" ge "$rx" $((BYTES / 1500))
		check "$m: B one event per 4 wire packets" \
			awk -v e="$nB" -v p="$rx" 'BEGIN { exit !(e >= int((p - 8) / 4) && e <= int(p / 4) + 1) }'
		check "$m: B N consecutive sequence numbers, each once" seqs_once B "$nB"
		check "$m: same (flow, sequence) pairs at B and C" same_pairs B C
		;;
	pto)
		check "$m: no DEX event" eq "$nA$nB$nC" 000
		check "$m: C got traces" ge "$(nevents C TRACE)" 1
		;;
	esac
}

DEX="dex ns 123 type 0x800000 ext 0xc0"
for off in on off; do
	offloads $off
	nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
		mode inline $DEX || fail "route"
	tcp_run "dex inline, offloads $off" dex
	nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
		mode encap tundst db02::2 $DEX || fail "route"
	tcp_run "dex encap, offloads $off" dex
done

offloads on
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	mode inline freq 1/4 $DEX || fail "route"
tcp_run "dex inline freq 1/4, offloads on" freq
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	mode inline trace prealloc ns 123 type 0x800000 size 12 || fail "route"
tcp_run "pto inline, offloads on" pto
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	mode encap tundst db02::2 trace prealloc ns 123 type 0x800000 size 12 || fail "route"
tcp_run "pto encap, offloads on" pto
finish

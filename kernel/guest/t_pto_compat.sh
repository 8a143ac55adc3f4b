#!/bin/bash
# Backward compatibility: Pre-allocated Trace routes (configured with
# Debian's unpatched iproute2 6.1 and with ioam-route) still fill traces and
# emit TRACE events at the transit and destination nodes, with the hop limit
# decremented on input; no DEX event appears.
. /tests/ioamtest.sh
topo_up

pto_run() {
	local m=$1
	monitors_start A B C && receiver_start || { fail "$m: monitors"; return; }
	nsx A dexsend -c 3 -i 2000 db02::2 5000
	wait_all
	check "$m: 3 delivered" eq "$(received)" 3
	check "$m: no TRACE event at the encapsulating node" eq "$(nevents A TRACE)" 0
	check "$m: no DEX events" eq "$(nevents A)$(nevents B)$(nevents C)" 000
	check "$m: B 3 TRACE events" eq "$(nevents B TRACE)" 3
	check "$m: C 3 TRACE events" eq "$(nevents C TRACE)" 3
	check "$m: B trace (B then A; hop limits 63, 64)" \
		eq "$(events B TRACE | sort -u)" "TRACE ns=123 nodelen=1 type=0x800000 data=3f00000240000001"
	check "$m: C trace (C, B, A; hop limits 62, 63, 64)" \
		eq "$(events C TRACE | sort -u)" "TRACE ns=123 nodelen=1 type=0x800000 data=3e0000033f00000240000001"
}

# iproute2 6.1 wants the encap before via/dev
nsx A ip -6 route replace db02::/64 encap ioam6 trace prealloc type 0x800000 ns 123 size 12 \
	via db01::1 dev veth0 || fail "iproute2 6.1 route"
pto_run "inline (iproute2 6.1)"

nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 \
	mode encap tundst db02::2 trace prealloc ns 123 type 0x800000 size 12 || fail "ioam-route encap route"
pto_run "encap (ioam-route)"
finish

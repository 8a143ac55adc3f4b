#!/bin/bash
# Per-flow sequence numbers with many flows. The encapsulating node keeps a
# bounded table per route (64 buckets of 4 flows): up to 256 flows keep
# their own sequence, a flow pushed out of a full bucket starts again from
# 0. Every inserted header carries a flow id and a sequence number.
. /tests/ioamtest.sh
topo_up
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0x800000 ext 0xc0 || fail "route"

# perfect FILE NPKTS: flows whose sequence is exactly 0..NPKTS-1
perfect() {
	flowseq C | awk -v np="$2" '{ s[$1] = s[$1] " " $2 }
		END { for (f in s) { want = ""; for (i = 0; i < np; i++) want = want " " i; if (s[f] == want) n++ } print n + 0 }'
}
nflows() { flowseq C | awk '{ print $1 }' | sort -u | wc -l | tr -d ' '; }

monitors_start C && receiver_start
nsx A dexsend -c 3 -f 40 -i 1000 db02::2 5000
wait_all
check "40 flows: 120 delivered, 120 events" eq "$(received)/$(nevents C)" "120/120"
check "40 flows: 40 flow ids" eq "$(nflows)" 40
p=$(perfect C 3)
echo "  flows with sequence 0 1 2: $p"
check "40 flows: at least 36 keep their own sequence" test "$p" -ge 36

monitors_start C && receiver_start
nsx A dexsend -c 2 -f 300 -i 1000 db02::2 5000
wait_all
check "300 flows: 600 delivered, 600 events" eq "$(received)/$(nevents C)" "600/600"
check "300 flows: 300 flow ids" eq "$(nflows)" 300
check "300 flows: every event has a sequence number 0 or 1" \
	eq "$(flowseq C | awk '$2 == 0 || $2 == 1' | wc -l | tr -d ' ')" 600
echo "  flows with sequence 0 1: $(perfect C 2) of 300 (table holds 256)"
finish

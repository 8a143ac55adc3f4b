#!/bin/bash
# Per-flow sequence numbers with many flows. The encapsulating node keeps a
# bounded table per route (64 buckets of 4 flows): up to 256 flows keep
# their own sequence, a flow pushed out of a full bucket starts again from
# 0. Every inserted header carries a flow id and a sequence number.
. /tests/ioamtest.sh
topo_up
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0x800000 ext 0xc0 || fail "route"

nflows() { flowseq C | awk '{ print $1 }' | sort -u | wc -l | tr -d ' '; }

# table_check NPKTS: flows are assigned to buckets like the kernel does
# (hash_32(flow, 6): flow * 0x61c88647 >> 26). Every flow whose bucket holds
# at most 4 flows must keep its own sequence 0..NPKTS-1; flows of an
# overfull bucket push each other out and start again from 0. Prints
# "kept/expected/flows".
table_check() {
	flowseq C | while read -r f q; do echo "$((f)) $q"; done | awk -v np="$1" '
		function mul32(a, b,   al, ah, bl, bh) {
			al = a % 65536; ah = int(a / 65536); bl = b % 65536; bh = int(b / 65536)
			return (al * bl + ((ah * bl + al * bh) % 65536) * 65536) % 4294967296
		}
		{ if (!($1 in s)) { b = int(mul32($1, 1640531527) / 67108864); bucket[$1] = b; n[b]++ }
		  s[$1] = s[$1] " " $2 }
		END { want = ""; for (i = 0; i < np; i++) want = want " " i
		      for (f in s) { flows++; if (n[bucket[f]] <= 4) { expect++; if (s[f] == want) kept++ } }
		      printf "%d/%d/%d\n", kept, expect, flows }'
}

monitors_start C && receiver_start
nsx A dexsend -c 3 -f 40 -i 1000 db02::2 5000
wait_all
check "40 flows: 120 delivered, 120 events" eq "$(received)/$(nevents C)" "120/120"
IFS=/ read -r kept expect flows <<< "$(table_check 3)"
echo "  $kept of the $expect flows in buckets that are not overfull kept 0 1 2 ($flows flows)"
check "40 flows: 40 flow ids" eq "$flows" 40
check "40 flows: each flow of a bucket that is not overfull keeps sequence 0 1 2" eq "$kept" "$expect"
check "40 flows: most flows are in buckets that are not overfull" test "$expect" -ge 30

monitors_start C && receiver_start
nsx A dexsend -c 2 -f 300 -i 1000 db02::2 5000
wait_all
check "300 flows: 600 delivered, 600 events" eq "$(received)/$(nevents C)" "600/600"
IFS=/ read -r kept expect flows <<< "$(table_check 2)"
echo "  $kept of the $expect flows in buckets that are not overfull kept 0 1 ($flows flows)"
check "300 flows: 300 flow ids" eq "$flows" 300
check "300 flows: each flow of a bucket that is not overfull keeps sequence 0 1" eq "$kept" "$expect"
check "300 flows: every event has a sequence number 0 or 1" \
	eq "$(flowseq C | awk '$2 == 0 || $2 == 1' | wc -l | tr -d ' ')" 600
finish

#!/bin/bash
# Per-flow sequence numbers with many flows, across eviction and route
# replacement. The encapsulating node keeps a bounded table per route (64
# buckets of 4 flows, least recently used eviction, 30 s idle expiry); a
# flow that starts, or comes back after eviction or a route replace,
# continues from the namespace's sequence base, which never goes back: no
# (flow id, sequence number) pair is ever repeated, and a flow that keeps
# its place in the table counts 1 by 1.
. /tests/ioamtest.sh
topo_up
route() {
	nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
		dex ns 123 type 0x800000 ext 0xc0 || fail "route"
}
route
ALL=$T/all-pairs
: > "$ALL"
keep() { flowseq C >> "$ALL"; }
no_repeat() { [ -z "$(sort "$ALL" | uniq -d | head -3)" ]; }

# table_check: flows are assigned to buckets like the kernel does
# (hash_32(flow, 6): flow * 0x61c88647 >> 26). Every flow whose bucket holds
# at most 4 flows keeps its place: its sequence numbers are consecutive.
# Prints "kept/expected/flows".
table_check() {
	flowseq C | while read -r f q; do echo "$((f)) $q"; done | awk '
		function mul32(a, b,   al, ah, bl, bh) {
			al = a % 65536; ah = int(a / 65536); bl = b % 65536; bh = int(b / 65536)
			return (al * bl + ((ah * bl + al * bh) % 65536) * 65536) % 4294967296
		}
		{ if (!($1 in last)) { b = int(mul32($1, 1640531527) / 67108864); bucket[$1] = b; n[b]++; ok[$1] = 1 }
		  else if ($2 != last[$1] + 1) ok[$1] = 0
		  last[$1] = $2 }
		END { for (f in last) { flows++; if (n[bucket[f]] <= 4) { expect++; kept += ok[f] } }
		      printf "%d/%d/%d\n", kept, expect, flows }'
}

monitors_start C && receiver_start
nsx A dexsend -c 3 -f 40 -i 1000 db02::2 5000
wait_all
keep
check "40 flows: 120 delivered, 120 events" eq "$(received)/$(nevents C)" "120/120"
IFS=/ read -r kept expect flows <<< "$(table_check)"
echo "  $kept of the $expect flows in buckets that are not overfull counted 1 by 1 ($flows flows)"
check "40 flows: 40 flow ids" eq "$flows" 40
check "40 flows: each flow of a bucket that is not overfull counts 1 by 1" eq "$kept" "$expect"
check "40 flows: most flows are in buckets that are not overfull" test "$expect" -ge 30

# 300 flows, round robin: flows of overfull buckets are evicted between
# their packets and come back
monitors_start C && receiver_start
nsx A dexsend -c 2 -f 300 -i 1000 db02::2 5000
wait_all
keep
check "300 flows: 600 delivered, 600 events" eq "$(received)/$(nevents C)" "600/600"
IFS=/ read -r kept expect flows <<< "$(table_check)"
echo "  $kept of the $expect flows in buckets that are not overfull counted 1 by 1 ($flows flows)"
check "300 flows: 300 flow ids" eq "$flows" 300
check "300 flows: each flow of a bucket that is not overfull counts 1 by 1" eq "$kept" "$expect"
check "300 flows: evicted flows came back without repeating a pair" no_repeat

# the same 4 flows (fixed source ports) before and after a route replace
# and a route delete + add: their sequence numbers go on, never back
for step in first replaced deleted; do
	case $step in
	replaced) route ;;
	deleted) nsx A ioam-route route del db02::/64 via db01::1 dev veth0 || fail "del"; route ;;
	esac
	monitors_start C && receiver_start
	nsx A dexsend -c 3 -f 4 -s 4100 -i 1000 db02::2 5000
	wait_all
	keep
	check "same flows, $step route: 12 events, 4 flows" eq "$(nevents C)/$(values C flow | wc -w)" "12/4"
done
check "same flows across route replace and delete: no pair repeated" no_repeat
check "same flows: 4 flow ids over the three routes" \
	eq "$(tail -36 "$ALL" | awk '{ print $1 }' | sort -u | wc -l)" 4
finish

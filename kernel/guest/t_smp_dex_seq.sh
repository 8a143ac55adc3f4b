#!/bin/bash
# Two CPUs send through the same DEX route at the same time (one sender
# pinned to each): the per-route sequence counter (no flow id) and the
# per-flow table (flow id + sequence) never hand out a number twice.
. /tests/ioamtest.sh
topo_up
check "two CPUs" test "$(grep -c '^processor' /proc/cpuinfo)" -ge 2
N=300

seqs_unique() { # NODE TOTAL: the sequence numbers are 0..TOTAL-1, each once
	[ "$(flowseq_any "$1" | awk '{ print $2 }' | sort -n | uniq | wc -l)" = "$2" ] &&
	[ "$(nevents "$1")" = "$2" ] &&
	[ "$(flowseq_any "$1" | awk '{ print $2 }' | sort -n | tail -1)" = "$(($2 - 1))" ]
}
flowseq_any() { events "$1" | sed -n 's/.* seq=\([0-9]*\).*/x \1/p'; }
per_flow_ok() { # NODE FLOWS PER_FLOW: each flow has PER_FLOW consecutive numbers, each once
	flowseq "$1" | sort -k1,1 -k2n | awk -v nf="$2" -v np="$3" '
		{ if (!($1 in b)) b[$1] = $2
		  if ($2 != b[$1] + n[$1]) { printf "  flow %s: seq %s, expected %d\n", $1, $2, b[$1] + n[$1]; bad = 1 }
		  n[$1]++ }
		END { for (f in n) { flows++; if (n[f] != np) bad = 1 }
		      if (flows != nf) { printf "  %d flows\n", flows; bad = 1 }; exit bad }'
}

# two_cpus EXT FLOWS: a DEX route with these Extension-Flags, then one
# sender pinned to each CPU, FLOWS flows of N packets each
two_cpus() {
	nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
		dex ns 123 type 0x800000 ext "$1" || fail "route"
	monitors_start B C && receiver_start || fail "monitors"
	taskset -c 0 /bin/ip netns exec A dexsend -c $N -f "$2" -i 0 db02::2 5000 & p0=$!
	taskset -c 1 /bin/ip netns exec A dexsend -c $N -f "$2" -i 0 db02::2 5000 & p1=$!
	wait $p0 $p1
	wait_all
}

# per-route counter: one sequence for all packets
two_cpus 0x40 2
check "per-route counter: $((4 * N)) delivered" eq "$(received)" $((4 * N))
check "per-route counter: B sequence 0..$((4 * N - 1)), each once" seqs_unique B $((4 * N))
check "per-route counter: C sequence 0..$((4 * N - 1)), each once" seqs_unique C $((4 * N))

# per-flow table: 2 x 4 flows
two_cpus 0xc0 4
check "per-flow: $((8 * N)) delivered" eq "$(received)" $((8 * N))
check "per-flow: B 8 flows, $N consecutive numbers each" per_flow_ok B 8 $N
check "per-flow: C 8 flows, $N consecutive numbers each" per_flow_ok C 8 $N
check "per-flow: no (flow, sequence) pair twice at C" test -z "$(flowseq C | sort | uniq -d | head -1)"
finish

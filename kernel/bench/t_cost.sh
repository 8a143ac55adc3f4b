#!/bin/bash
# Cost of IOAM DEX in the qemu guest (kernel/bench/cost.sh runs it on the
# series' kernel and on the reference patch's, IOAM_TESTS=t_cost.sh): A
# sends cost_count 64-octet UDP datagrams to C as fast as it can, B
# forwards; the figure is datagrams delivered per second, from the first
# sent to the last received (queues are large enough that nothing is
# dropped: the whole work is done and timed), median of cost_reps runs:
#   base       no IOAM option anywhere
#   transit1   1 in 100 datagrams carries a DEX option (built by the sender,
#              IPV6_HOPOPTS) that B and C process; B reports it
#   transit100 every datagram carries it
#   inline     B inserts a DEX option into every forwarded datagram
#   encap      B encapsulates every forwarded datagram (ip6ip6 + DEX)
#   inline_quiet, encap_quiet  the same with no event listener on B (both
#              kernels then build no event): the insertion alone
# DEX type 0xf00000 (hop limit/node id, interfaces, timestamps), flow id
# and sequence number. ioam-exporter listens on B in every case (to a file
# on tmpfs), so B's events are built and read. The series' event limit is
# off (net.ipv6.ioam6_event_rate=0) unless cost_limit=1. Prints one line per
# run, "COST <case> rate=<datagrams/s> ...", and "COSTMED <case> <rate>".
# Run it with qemu -icount (cost.sh does): guest time is then counted in
# instructions, and the rates do not depend on the host's load. Everything
# shares the guest's two CPUs (the sender too): compare ratios.
. /tests/ioamtest.sh
# progress on the console as it happens (the harness prints the test's
# output only when it ends)
say() { echo "$*"; echo "t_cost: $*" > /dev/console 2>/dev/null; return 0; }
# lock debugging: "none" (the cost kernels, config-cost.fragment), else
# lockdep's debug_locks (1 on, 0 switched off by its first report: every
# lock operation is then much cheaper, so runs on either side of a report
# are not comparable)
lockdep() {
	if [ -r /proc/lockdep_stats ]; then
		sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats
	else
		echo none
	fi
}
REPS=$(sed -n 's/.*cost_reps=\([0-9]*\).*/\1/p' /proc/cmdline); REPS=${REPS:-3}
COUNT=$(sed -n 's/.*cost_count=\([0-9]*\).*/\1/p' /proc/cmdline); COUNT=${COUNT:-20000}
# queues that hold a whole run: the forwarding backlog, socket buffers
sysctl -qw net.core.netdev_max_backlog=1000000
sysctl -qw net.core.rmem_max=67108864
sysctl -qw net.core.rmem_default=67108864
# a reference-patch splat (sleeping in atomic context) must not slow the
# serial console: keep it in the ring buffer only
echo 1 > /proc/sys/kernel/printk
say "topology"
topo_up
limit_info=off
if [ -e /proc/sys/net/ipv6/ioam6_event_rate ]; then
	if grep -q cost_limit=1 /proc/cmdline; then
		nsx B sysctl -qw net.ipv6.ioam6_event_rate=10000; limit_info=10000/s
	fi
else
	limit_info=none
fi
LOCKDEP0=$(lockdep)
say "kernel $(uname -r), event limit on B: $limit_info, lockdep: $LOCKDEP0, $COUNT datagrams x $REPS runs"
# hop-by-hop header: PadN(2), IOAM option (type 4) with a DEX header
# ns 123, ext 0xc0, trace type 0xf00000, flow id 0x12345678, sequence 1
HBH=0002010031120004007b00c0f00000001234567800000001

exp_pid=
exporter_start() {
	rm -f "$T/exp.log"
	nsx B ioam-exporter --file "$T/b.ipfix" --flush-ms 200 2> "$T/exp.log" &
	exp_pid=$!
	sleep 1
}
exporter_stop() {
	for p in $(ip netns pids B 2>/dev/null); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = ioam-exporter ] && kill -INT "$p" 2>/dev/null
	done
	# called in $(...): not the exporter's parent, so wait for its last line
	local n=0
	until grep -q 'stats (exit): ' "$T/exp.log" || [ $n -ge 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	grep -q 'stats (exit): ' "$T/exp.log" || tail -3 "$T/exp.log" | tr '\n' ' '
	# its own counters (the series' exporter adds a "kernel: sent=..."
	# line of the kernel's counters after them)
	sed -n 's/.*stats (exit): \(events=\)/\1/p' "$T/exp.log" | tail -1
	rm -f "$T/b.ipfix"
}
dexstats() { nsx B dexmon -s 2>/dev/null | sed -n 's/^STATS //p'; }

# run CASE [kbsend args]: REPS runs, one COST line each, then COSTMED
run() {
	local c=$1 r rates= out rx last start rate ex cs0 cs1 ld0 quiet=0; shift
	case $c in *_quiet) quiet=1 ;; esac
	for r in $(seq "$REPS"); do
		say "$c run $r"
		[ "$quiet" = 1 ] || exporter_start
		local st0; st0=$(dexstats)
		rm -f "$T/rx"
		nsx C kbsend -L 5000 > "$T/rx" &
		RX_PID=$!
		until grep -q READY "$T/rx" 2>/dev/null; do sleep 0.05; done
		ld0=$(lockdep)
		cs0=$(sed -n 's/^ctxt //p' /proc/stat)
		out=$(nsx A kbsend -c "$COUNT" "$@" db02::2 5000)
		cs1=$(sed -n 's/^ctxt //p' /proc/stat)
		# the queued work drains (the exporter reads the events)
		sleep 2
		term $RX_PID; wait $RX_PID; RX_PID=
		ex="none listening"
		[ "$quiet" = 1 ] || ex=$(exporter_stop)
		rx=$(sed -n 's/^RECEIVED \([0-9]*\) .*/\1/p' "$T/rx")
		last=$(sed -n 's/^RECEIVED [0-9]* last \([0-9.]*\)/\1/p' "$T/rx")
		start=$(echo "$out" | sed -n 's/.* start \([0-9.]*\)/\1/p')
		rate=$(awk -v r="${rx:-0}" -v a="${start:-0}" -v z="${last:-0}" 'BEGIN { if (z > a) printf "%d", r / (z - a); else print 0 }')
		rates="$rates $rate"
		say "COST $c rate=$rate received=$rx context_switches=$((cs1 - cs0)) lockdep=$ld0/$(lockdep) $out last $last; kernel on B: ${st0:+before [$st0] after [$(dexstats)]}; exporter on B: $ex"
		check "$c run $r: every datagram delivered (not overloaded)" \
			test "${rx:-0}" -gt 0 -a "$rx" = "$(echo "$out" | sed -n 's/^SENT \([0-9]*\).*/\1/p')"
		# B reported DEX events (none without IOAM) and the exporter
		# lost none of them
		local nev; nev=$(echo "$ex" | sed -n 's/^events=\([0-9]*\) .*/\1/p')
		if [ "$quiet" = 1 ]; then
			:
		elif [ "$c" = base ]; then
			check "$c run $r: no DEX event" test "${nev:-x}" = 0
		else
			# one event per datagram that carried DEX through B (the
			# sender's marked ones in transit, every one when B inserts)
			local want; want=$(echo "$out" | sed -n 's/.* marked \([0-9]*\) .*/\1/p')
			case $c in inline* | encap*) want=$rx ;; esac
			check "$c run $r: B reported one event per DEX datagram ($nev of $want)" test "${nev:-0}" = "$want"
		fi
		check "$c run $r: lock debugging as at boot ($LOCKDEP0, now $(lockdep))" test "$(lockdep)" = "$LOCKDEP0"
		[ "$quiet" = 1 ] || check "$c run $r: the exporter on B lost none" bash -c "echo '$ex' | grep -q ' lost=0 enobufs=0 '"
	done
	say "COSTMED $c $(echo $rates | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
}

run base
run transit1 -k 1 -n 100 -H "$HBH"
run transit100 -k 1 -n 1 -H "$HBH"
nsx B ioam-route route replace db02::/64 dev veth1 metric 256 encap ioam6 mode inline \
	dex ns 123 type 0xf00000 ext 0xc0 || fail "inline route on B"
run inline
run inline_quiet
nsx B ioam-route route replace db02::/64 dev veth1 metric 256 encap ioam6 mode encap tundst db02::2 \
	dex ns 123 type 0xf00000 ext 0xc0 || fail "encap route on B"
run encap
run encap_quiet
nsx B ip -6 route replace db02::/64 dev veth1 metric 256
splats=$(dmesg | grep -c 'BUG:\|WARNING:')
echo "COSTSPLATS $splats"
dmesg | grep -A3 'BUG:\|WARNING:' | head -20
finish

#!/bin/bash
# Shared by the in-guest tests: a three-namespace topology like the upstream
# ioam6.sh selftest and the seed paper's demo, and helpers to read events.
#
#   A (encapsulating)  veth0 db01::2 --- db01::1 veth0  B (transit)
#   B veth1 db02::1 --- db02::2 veth0  C (decapsulating, receiver)
#
# IOAM ids: node A=1 B=2 C=3 (wide 0x1000..01 etc.), interfaces A.veth0=11,
# B.veth0=21, B.veth1=22, C.veth0=31 (wide 1011, 1021, 1022, 1031).
# IOAM namespace 123 everywhere, data 0xa1a1a1a1 / 0xb2b2b2b2 / 0xc3c3c3c3;
# B has schema 7 (data 0102030405060708) attached to it.
set -u
T=${TMPDIR:-/tmp}/$(basename "$0" .sh)
mkdir -p "$T"
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }

nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

topo_up() {
	for n in A B C; do
		ip netns del $n 2>/dev/null
		ip netns add $n
		# before the veths exist: no DAD delay on the first packets
		nsx $n sysctl -qw net.ipv6.conf.all.accept_dad=0
		nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0
		nsx $n ip link set lo up
	done
	ip link add veth0 netns A type veth peer name veth0 netns B
	ip link add veth1 netns B type veth peer name veth0 netns C
	nsx A ip addr add db01::2/64 dev veth0
	nsx B ip addr add db01::1/64 dev veth0
	nsx B ip addr add db02::1/64 dev veth1
	nsx C ip addr add db02::2/64 dev veth0
	for d in "A veth0" "B veth0" "B veth1" "C veth0"; do
		set -- $d
		nsx $1 ip link set $2 up
	done
	nsx A ip -6 route add db02::/64 via db01::1 dev veth0
	nsx C ip -6 route add db01::/64 via db02::1 dev veth0
	nsx B sysctl -qw net.ipv6.conf.all.forwarding=1

	# no event limit in the functional tests (they count every event);
	# t_event_flood.sh tests the limit (KEEP_EVENT_LIMIT=1)
	if [ "${KEEP_EVENT_LIMIT:-0}" != 1 ]; then
		for n in A B C; do nsx $n sysctl -qw net.ipv6.ioam6_event_rate=0; done
	fi
	nsx A sysctl -qw net.ipv6.ioam6_id=1
	nsx B sysctl -qw net.ipv6.ioam6_id=2
	nsx C sysctl -qw net.ipv6.ioam6_id=3
	nsx A sysctl -qw net.ipv6.ioam6_id_wide=4503599627370497
	nsx B sysctl -qw net.ipv6.ioam6_id_wide=9007199254740994
	nsx C sysctl -qw net.ipv6.ioam6_id_wide=13510798882111491
	for d in "A veth0 11" "B veth0 21" "B veth1 22" "C veth0 31"; do
		set -- $d
		nsx $1 sysctl -qw net.ipv6.conf.$2.ioam6_id=$3
		nsx $1 sysctl -qw net.ipv6.conf.$2.ioam6_id_wide=$((1000 + $3))
	done
	# IOAM processing on ingress (transit and decapsulating nodes)
	nsx B sysctl -qw net.ipv6.conf.veth0.ioam6_enabled=1
	nsx C sysctl -qw net.ipv6.conf.veth0.ioam6_enabled=1
	nsx C ip link set ip6tnl0 up

	nsx A ioam-route ns add 123 data 0xa1a1a1a1 wide 0xa1a1a1a1a1a1a1a1
	nsx B ioam-route ns add 123 data 0xb2b2b2b2 wide 0xb2b2b2b2b2b2b2b2
	nsx C ioam-route ns add 123 data 0xc3c3c3c3 wide 0xc3c3c3c3c3c3c3c3
	nsx B ioam-route schema add 7 0102030405060708
	nsx B ioam-route ns set-schema 123 7
	# the path works
	nsx A ping -6 -c 1 -W 2 db02::2 >/dev/null 2>&1 || nsx A ping -6 -c 1 -W 2 db02::2 >/dev/null
}

topo_down() {
	for n in A B C; do ip netns del $n 2>/dev/null; done
	return 0
}

# monitors_start NODE... : one dexmon per node, events in $T/NODE.ev (until
# wait_all)
monitors_start() {
	MON_PIDS=
	# remove old output first: the background job truncates its file
	# only when it gets to run, and an old READY must not be seen
	for n in "$@"; do rm -f "$T/$n.ev"; done
	for n in "$@"; do
		nsx $n dexmon ${MON_ARGS:-} -t 60000 > "$T/$n.ev" &
		MON_PIDS="$MON_PIDS $!"
	done
	for n in "$@"; do
		i=0
		until grep -q READY "$T/$n.ev" 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 200 ] && { echo "dexmon $n not ready"; return 1; }
			sleep 0.05
		done
	done
}

# receiver_start: counts datagrams to db02::2 port 5000 in $T/rx
receiver_start() {
	rm -f "$T/rx"
	nsx C dexsend -l 5000 -t 60000 > "$T/rx" &
	RX_PID=$!
	i=0
	until grep -q READY "$T/rx" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 200 ] && { echo "receiver not ready"; return 1; }
		sleep 0.05
	done
}

# wait_all: once the senders are done, let the last packets and events
# land, then stop the monitors and the receiver (SIGTERM: they read what is
# queued, then print their totals). No idle timeouts: under emulation the
# guest clock jumps, and an idle timeout could end a monitor too early.
wait_all() {
	sleep 0.5
	term $MON_PIDS ${RX_PID:-}
	wait $MON_PIDS ${RX_PID:-}
	RX_PID=
}

# children PID: its child processes (a process may end while this reads)
children() {
	local f pid comm state ppid rest
	for f in /proc/[0-9]*/stat; do
		read -r pid comm state ppid rest 2>/dev/null < "$f" || continue
		[ "$ppid" = "$1" ] && echo "$pid"
	done
	return 0
}

# term PID...: SIGTERM to the program each `nsx PROGRAM &` started. $! is a
# subshell running nsx, `ip netns exec` may fork again: signal the leaves of
# the process tree under PID (the program), not the shells above it.
term() {
	local p kids
	for p in "$@"; do
		kids=$(children "$p")
		if [ -n "$kids" ]; then
			term $kids
		else
			kill -TERM "$p" 2>/dev/null
		fi
	done
	return 0
}
received() { sed -n 's/^RECEIVED //p' "$T/rx"; }

# events NODE [TYPE]: the event lines of a node
events() { grep "^${2:-DEX} " "$T/$1.ev"; }
nevents() { events "$@" | wc -l | tr -d ' '; }
# values NODE KEY: the distinct values of KEY in the node's DEX events
values() { events "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
# flowseq NODE: "flow seq" per event, in arrival order
flowseq() { events "$1" | sed -n 's/.* flow=\([^ ]*\).* seq=\([^ ]*\).*/\1 \2/p'; }

# seq_ok NODE NFLOWS NPKTS: NFLOWS flows, each with NPKTS consecutive
# sequence numbers in order. A new flow starts from the namespace's
# sequence base (the numbers handed out so far), not necessarily 0.
seq_ok() {
	flowseq "$1" | awk -v nf="$2" -v np="$3" '
		{ if (!($1 in next_seq)) { next_seq[$1] = $2; first[$1] = $2; flows++ }
		  if ($2 != next_seq[$1]) { printf "  flow %s: seq %s, expected %d\n", $1, $2, next_seq[$1]; bad = 1 }
		  next_seq[$1] = $2 + 1 }
		END { if (flows != nf) { printf "  %d flows, expected %d\n", flows, nf; bad = 1 }
		      for (f in next_seq) if (next_seq[f] - first[f] != np) { printf "  flow %s: %d packets, expected %d\n", f, next_seq[f] - first[f], np; bad = 1 }
		      exit bad }'
}

finish() {
	topo_down
	if [ $fails -gt 0 ]; then
		echo "--- events"; cat "$T"/*.ev 2>/dev/null | head -60
		exit 1
	fi
	exit 0
}

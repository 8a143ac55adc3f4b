#!/usr/bin/env bash
# The demo: a 3-node IOAM domain in network namespaces (Athos sends, Porthos
# forwards, Aramis receives), ioam-exporter on Porthos and Aramis turning the
# kernel's IOAM events into IPFIX, and ioam-collector printing the traces.
# Run as root on Debian 12 (a Linux 6.9+ kernel with IPv6 IOAM transit
# processing). Installs what it needs, builds, cleans up after itself.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${IOAM_BUILD_DIR:-$src/build-demo}
count=${IOAM_DEMO_PACKETS:-3}
# The traffic as Aramis receives it, kept after the demo (tshark reads it).
pcap=${IOAM_DEMO_PCAP:-${TMPDIR:-/tmp}/ioam-demo-aramis.pcap}
lua=$src/exporters/wireshark/ioam.lua
# As a test (IOAM_DEMO_BIN: the build's exporters/ folder), a missing
# prerequisite is a skip (77); run by hand it is an error.
missing=$([ -n "${IOAM_DEMO_BIN:-}" ] && echo 77 || echo 1)
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, IOAM sysctls)" >&2; exit "$missing"; }
[ -e /proc/sys/net/ipv6/ioam6_id ] || { echo "demo: this kernel has no IPv6 IOAM" >&2; exit "$missing"; }

if [ -n "${IOAM_DEMO_BIN:-}" ]; then
  bin=$IOAM_DEMO_BIN
else
  "$src/tests/install-deps.sh"
  [ -d "$build/meson-private" ] || meson setup "$build" "$src" -Dtests=disabled -Dbenchmarks=disabled >/dev/null
  ninja -C "$build" exporters/ioam-exporter/ioam-exporter exporters/ioam-collector/ioam-collector \
    exporters/ioam-inject/ioam-inject >/dev/null
  bin=$build/exporters
fi

tag=$$
A=athos$tag P=porthos$tag R=aramis$tag
work=$(mktemp -d)
# `ip netns exec` forks: stop programs through the namespace's process list.
stop() {  # stop NAMESPACE PROGRAM [SIGNAL]
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && kill -"${3:-TERM}" "$p" 2>/dev/null || true
  done
}
cleanup() {
  for n in $A $P $R; do stop "$n" ioam-exporter; stop "$n" ioam-collecto; stop "$n" dumpcap; done
  wait 2>/dev/null || true
  for n in $A $P $R; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

echo "== topology: Athos (db01::1) -- Porthos -- Aramis (db02::2), IOAM namespace 123"
for n in $A $P $R; do
  ip netns add "$n"
  nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  nsx "$n" ip link set lo up
done
ip link add veth0 netns $A type veth peer name veth0 netns $P
ip link add veth1 netns $P type veth peer name veth0 netns $R
nsx $A ip addr add db01::1/64 dev veth0
nsx $P ip addr add db01::2/64 dev veth0
nsx $P ip addr add db02::1/64 dev veth1
nsx $R ip addr add db02::2/64 dev veth0
nsx $A ip link set veth0 up; nsx $P ip link set veth0 up; nsx $P ip link set veth1 up; nsx $R ip link set veth0 up
nsx $A ip -6 route add db02::/64 via db01::2
nsx $R ip -6 route add db01::/64 via db02::1
nsx $P sysctl -qw net.ipv6.conf.all.forwarding=1
# Node ids, interface ids and namespace data, as the seed demo configures them.
nsx $P sysctl -qw net.ipv6.ioam6_id=2 net.ipv6.conf.veth0.ioam6_enabled=1 net.ipv6.conf.veth0.ioam6_id=21 \
  net.ipv6.conf.veth1.ioam6_id=22
nsx $R sysctl -qw net.ipv6.ioam6_id=3 net.ipv6.conf.veth0.ioam6_enabled=1 net.ipv6.conf.veth0.ioam6_id=31
nsx $P ip ioam namespace add 123 data 0xc0ffee02
nsx $R ip ioam namespace add 123 data 0xc0ffee03

echo "== dumpcap on Aramis (veth0) writes $pcap"
rm -f "$pcap"
# Not ICMPv6: Aramis's port-unreachable replies would repeat every option.
nsx $R dumpcap -q -P -i veth0 -f 'ip6 and not icmp6' -w "$pcap" 2>"$work/dumpcap.log" &
for _ in $(seq 50); do [ -s "$pcap" ] && break; sleep 0.1; done

echo "== ioam-collector on Aramis (UDP 4739); ioam-exporter on Porthos and Aramis"
# Aramis sees the whole trace: it exports every node. Porthos exports its own entry.
nsx $R "$bin/ioam-collector/ioam-collector" --listen '[::]:4739' --count $((count * 3)) --idle-exit 10 \
  >"$work/traces.txt" 2>"$work/collector.log" &
collector=$!
nsx $R "$bin/ioam-exporter/ioam-exporter" --collector '[::1]:4739' --observation-domain 3 \
  --flush-ms 50 2>"$work/exporter-aramis.log" &
nsx $P "$bin/ioam-exporter/ioam-exporter" --collector '[db02::2]:4739' --observation-domain 2 \
  --reporting-node-only --flush-ms 50 2>"$work/exporter-porthos.log" &
sleep 1

echo "== Athos sends $count datagrams with a Pre-allocated Trace (hop limit, node id, interfaces, namespace data)"
nsx $A "$bin/ioam-inject/ioam-inject" --dst db02::2 --port 7777 --type 0xc40000 --nodes 2 --namespace 123 \
  --count "$count" --rate 10
echo "== Athos sends $count datagrams with a DEX option (flow id 7, sequence numbers): this kernel forwards them, no events"
nsx $A "$bin/ioam-inject/ioam-inject" --dst db02::2 --port 7777 --mode dex --type 0xc40000 --namespace 123 \
  --flow-id 7 --sequence --count "$count" --rate 10
sleep 1
stop $P ioam-exporter INT; stop $R ioam-exporter INT   # flush and print statistics
stop $R dumpcap
wait "$collector" || true
sleep 0.5

echo "== decoded traces (ioam-collector)"
cat "$work/traces.txt"
echo "== exporter statistics (Aramis, then Porthos)"
tail -n 2 "$work/exporter-aramis.log" "$work/exporter-porthos.log"
lines=$(wc -l <"$work/traces.txt")
# Each datagram: Aramis exports both nodes of the trace, Porthos its own entry.
[ "$lines" -eq $((count * 3)) ] || { echo "demo: $lines records, expected $((count * 3))" >&2; cat "$work/collector.log" >&2; exit 1; }
grep -q "node_id=2 ingress_id=21 egress_id=22" "$work/traces.txt" &&
  grep -q "hop_limit=62 node_id=3 ingress_id=31" "$work/traces.txt" ||
  { echo "demo: the traces do not show the configured node and interface ids" >&2; exit 1; }

echo "== the traffic at Aramis: Pre-allocated Traces (tshark) and DEX options (exporters/wireshark/ioam.lua)"
decode=(tshark -n -r "$pcap" -X "lua_script:$lua" -Y ipv6.opt.ioam.opt_type -T fields -E header=y
  -e ipv6.src -e ipv6.opt.ioam.opt_type -e ipv6.opt.ioam.trace.ns -e ipv6.opt.ioam.trace.node.id
  -e ipv6.opt.ioam.trace.node.iif -e ipv6.opt.ioam.dex.ns -e ipv6.opt.ioam.dex.extflag.flowid -e ipv6.opt.ioam.dex.extflag.seqnum)
printf '%q ' "${decode[@]}"; echo
"${decode[@]}" 2>/dev/null | tee "$work/decoded.txt"
# Each datagram once: the traces show Porthos (node 2, ingress 21); the DEX
# options ns 123, flow 7 and their sequence numbers.
[ "$(grep -c $'^db01::1\t0\t123\t0x000002\t0x0015' "$work/decoded.txt")" -eq "$count" ] &&
  [ "$(grep -c $'^db01::1\t4\t\t\t\t123\t7\t' "$work/decoded.txt")" -eq "$count" ] &&
  grep -q $'\t123\t7\t'$((count - 1))'$' "$work/decoded.txt" ||
  { echo "demo: tshark does not show $count traces and $count DEX options in $pcap" >&2; exit 1; }
echo "== $lines records decoded, $count traces and $count DEX options in $pcap; cleaning up"

#!/bin/bash
# The upstream Pre-allocated Trace selftest of the same tree
# (tools/testing/selftests/net/ioam6.sh), unmodified, with three adaptations
# to this initramfs around it:
# - busybox date has no %N: lib.sh's timestamp_ms reads /proc/uptime
#   instead, and a spare namespace keeps `ip netns list` non-empty so that
#   cleanup_ns does not wait for its timeout;
# - new namespaces inherit accept_dad=0, so the first packets are not held
#   back by duplicate address detection under slow emulation.
# Debian 12's iproute2 6.1 understands every route it adds (encap before
# dev, including `mode inline|encap`).
set -u
W=/tmp/upstream
rm -rf $W; mkdir -p $W; cd $W
cp /tests/upstream/lib.sh /tests/upstream/ioam6.sh /tests/upstream/ioam6_parser .
cat >> lib.sh <<'LIB'
timestamp_ms() { local u; read -r u _ < /proc/uptime; echo $(( ${u%.*} * 1000 + 10#${u#*.} * 10 )); }
LIB
# - run_test starts ioam6_parser in the background and pings after
#   `sleep 0.1`: on two emulated CPUs the parser may not have its socket
#   open by then, miss the packet and wait forever; a `sleep` first in PATH
#   makes that wait 0.5 s.
cat > sleep <<'SLEEP'
#!/bin/sh
[ "$1" = 0.1 ] && exec /bin/busybox sleep 0.5
exec /bin/busybox sleep "$@"
SLEEP
chmod +x sleep
sysctl -qw net.core.devconf_inherit_init_net=1
sysctl -qw net.ipv6.conf.default.accept_dad=0
ip netns add keep-upstream
# its own time limit, so that a hang still shows the output
PATH=$W:$PATH timeout 240 bash ./ioam6.sh > out.log 2>&1
echo "ioam6.sh exit status $?"
grep -E 'TEST|Tests|SKIP|FAIL|Note' out.log
ip netns del keep-upstream
passed=$(sed -n 's/.*Tests passed: *//p' out.log)
failed=$(sed -n 's/.*Tests failed: *//p' out.log)
echo "upstream ioam6.sh: ${passed:-?} passed, ${failed:-?} failed"
if [ -n "$passed" ] && [ "$passed" -gt 0 ] && [ "$failed" = 0 ]; then
	exit 0
fi
echo "--- ioam6.sh output"; tail -40 out.log
exit 1

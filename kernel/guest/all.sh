#!/bin/sh
# Runs each in-guest test, one line per test: "TEST name: PASS|FAIL".
# Every test is a program or script in /tests that exits 0 on success.
cd /tests
tests="t_boot.sh t_dex_inline.sh t_dex_encap.sh t_dex_freq.sh t_dex_flows.sh t_dex_flow_expiry.sh t_dex_config.sh t_dex_malformed.sh t_pto_compat.sh t_upstream_pto.sh t_exporter_dex.sh t_analysis_netem.sh t_smp_dex_seq.sh t_tcp_gso.sh t_event_flood.sh t_route_churn.sh t_record_events.sh t_selftest_ioam6_tcp.sh"
# with the patched iproute2 (kernel/run.sh with IOAM_IPROUTE2_IP)
[ -x /bin/ip-dex ] && tests="$tests t_iproute2_dex.sh"
# debug kernels (IOAM_KERNEL_DEBUG=1): kmemleak, KASAN and lockdep, last
grep -q "ioam_debug=1" /proc/cmdline && tests="$tests t_kmemleak.sh"
# kernel/run.sh with IOAM_TESTS: only those tests (a subset while working)
only=$(sed -n 's/.*ioam_tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
[ -n "$only" ] && tests=$only
n=0; for t in $tests; do n=$((n + 1)); done
echo "PLAN $n"
# warm the page cache (ip, the test programs): under TCG the first
# `ip netns exec` is slow enough that a monitor started first goes idle
/bin/ip netns add warmup && /bin/ip netns exec warmup dexmon -t 1 >/dev/null 2>&1
/bin/ip netns exec warmup dexsend -c 1 ::1 9 >/dev/null 2>&1
/bin/ip netns del warmup 2>/dev/null
failed=0
for t in $tests; do
  name=${t%.sh}; name=${name#t_}
  start=$(cut -d' ' -f1 /proc/uptime)
  # a hanging test fails alone (busybox timeout) instead of eating the
  # harness's whole time budget
  if timeout 300 ./"$t" > "/tmp/$name.log" 2>&1; then
    verdict=PASS
  else
    verdict="FAIL (rc=$?)"
    failed=$((failed + 1))
  fi
  # the details first (kept in the console log), then the verdict line
  sed 's/^/    | /' "/tmp/$name.log"
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "TEST $name: $verdict ($(awk "BEGIN { printf \"%.1f\", $end - $start }") s)"
done
[ $failed = 0 ]

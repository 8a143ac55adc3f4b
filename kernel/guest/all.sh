#!/bin/sh
# Runs each in-guest test, one line per test: "TEST name: PASS|FAIL".
# Every test is a program or script in /tests that exits 0 on success.
cd /tests
tests="t_boot.sh t_dex_inline.sh t_dex_encap.sh t_dex_freq.sh t_dex_flows.sh t_dex_config.sh t_dex_malformed.sh t_pto_compat.sh t_upstream_pto.sh t_exporter_dex.sh"
# with the patched iproute2 (kernel/run.sh with IOAM_IPROUTE2_IP)
[ -x /bin/ip-dex ] && tests="$tests t_iproute2_dex.sh"
n=0; for t in $tests; do n=$((n + 1)); done
echo "PLAN $n"
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

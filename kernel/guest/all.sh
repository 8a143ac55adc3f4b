#!/bin/sh
# Runs each in-guest test, one line per test: "TEST name: PASS|FAIL".
# Every test is a program or script in /tests that exits 0 on success.
cd /tests
tests="t_boot.sh"
n=0; for t in $tests; do n=$((n + 1)); done
echo "PLAN $n"
failed=0
for t in $tests; do
  name=${t%.sh}; name=${name#t_}
  if ./"$t" > "/tmp/$name.log" 2>&1; then
    echo "TEST $name: PASS"
  else
    echo "TEST $name: FAIL (rc=$?)"
    sed 's/^/    | /' "/tmp/$name.log"
    failed=$((failed + 1))
  fi
done
[ $failed = 0 ]

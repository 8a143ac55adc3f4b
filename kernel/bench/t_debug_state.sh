#!/bin/bash
# Debug kernels (IOAM_KERNEL_DEBUG=1), run last with IOAM_GUEST_EXTRA=kernel/bench
# (kernel/README.md, "KASAN, kmemleak and lockdep"): after every other test,
# lockdep is still on (it switches itself off for good at its first report,
# so this holds even when the report has left the ring buffer), and the
# kernel log has no KASAN, lockdep, RCU or sleeping-in-atomic report.
state=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null)
echo "lockdep debug_locks: ${state:-no /proc/lockdep_stats}"
dmesg | grep -E 'BUG:|WARNING:|KASAN|circular locking|lockdep is turned off|turning off the locking' | head -20
reports=$(dmesg | grep -cE 'BUG:|WARNING:|KASAN|circular locking|lockdep is turned off|turning off the locking')
echo "reports in the kernel log: $reports"
echo "taint: $(cat /proc/sys/kernel/tainted)"
[ "$state" = 1 ] && [ "$reports" = 0 ] && [ "$(cat /proc/sys/kernel/tainted)" = 0 ]

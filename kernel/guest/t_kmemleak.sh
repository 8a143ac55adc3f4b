#!/bin/bash
# Debug kernels only (IOAM_KERNEL_DEBUG=1, all.sh runs this last): after all
# the tests, kmemleak finds no unreferenced object, and the kernel logged no
# KASAN report and no lockdep splat.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e /sys/kernel/debug/kmemleak ] || { echo "no kmemleak"; exit 1; }
# objects freed after an RCU grace period: give them time, scan twice
sleep 5
echo scan > /sys/kernel/debug/kmemleak
sleep 5
echo scan > /sys/kernel/debug/kmemleak
leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
head -60 /sys/kernel/debug/kmemleak
echo "kmemleak: $leaks unreferenced objects"
splats=$(dmesg | grep -cE 'BUG: KASAN|WARNING: (possible|inconsistent|suspicious)|circular locking')
echo "KASAN/lockdep reports: $splats"
[ "$leaks" = 0 ] && [ "$splats" = 0 ]

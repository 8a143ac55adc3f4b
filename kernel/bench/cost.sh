#!/usr/bin/env bash
# kernel/bench/cost.sh: the cost of IOAM DEX, the series (kernel/patches)
# against the published reference patch (kernel/reference), in the same
# qemu guest (kernel/run.sh, TCG, two CPUs). Not a test: it prints a table
# of forwarding rates and their ratio to the no-IOAM rate of each kernel.
#
#     kernel/bench/cost.sh [series|reference]...     (default: both)
#
# Environment: IOAM_COST_WORK (default /var/tmp/ioam-kernel-cost; one work
# directory per kernel below it), COST_COUNT (datagrams per run, default 20000),
# COST_REPS (runs per case, median, default 3), COST_LIMIT=1 (keep the
# series' default event limit of 10000/s), COST_LOCKDEP=1 (keep the test
# configuration's lockdep: without it, config-cost.fragment turns lock
# debugging off in both kernels), and kernel/run.sh's variables
# (CCACHE_DIR, IOAM_JOBS, ...); IOAM_QEMU_ARGS defaults to "-icount shift=0"
# (guest time counted in instructions: figures that do not depend on the
# host's load). Console logs: $IOAM_COST_WORK/<kernel>/cost-console.log;
# COST_RUN=0 only prints the table from them.
{
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$(cd "$here/.." && pwd)
base=${IOAM_COST_WORK:-/var/tmp/ioam-kernel-cost}
kernels=("$@"); [ ${#kernels[@]} -gt 0 ] || kernels=(series reference)
# no_timer_check: on a loaded host the guest's IO-APIC timer check can fail
# and panic the boot
append="no_timer_check cost_count=${COST_COUNT:-20000} cost_reps=${COST_REPS:-3}"
[ "${COST_LIMIT:-0}" = 1 ] && append="$append cost_limit=1"
extra=$here/config-cost.fragment
[ "${COST_LOCKDEP:-0}" = 1 ] && extra=
# one compiler cache for both kernels: they differ in a few files only
export CCACHE_DIR=${CCACHE_DIR:-$base/ccache}
for k in "${kernels[@]}"; do
  [ "${COST_RUN:-1}" = 0 ] && continue
  case $k in
    series) pdir=$kdir/patches ;;
    reference) pdir=$kdir/reference ;;
    *) echo "cost.sh: unknown kernel $k (series or reference)" >&2; exit 2 ;;
  esac
  mkdir -p "$base/$k"
  # the verdict does not matter here (the reference kernel splats: see
  # kernel/README.md); the COST lines do
  IOAM_SMP=${IOAM_SMP:-1} IOAM_QEMU_ARGS=${IOAM_QEMU_ARGS--icount shift=0} \
  IOAM_CONFIG_EXTRA=$extra IOAM_PATCH_DIR=$pdir IOAM_KERNEL_WORK=$base/$k IOAM_GUEST_EXTRA=$here \
    IOAM_TESTS=t_cost.sh IOAM_GUEST_APPEND=$append "$kdir/run.sh" || true
  cp "$base/$k/out/console.log" "$base/$k/cost-console.log"
done
# with -icount shift=0 one guest nanosecond is one instruction: the
# difference of 1e9/rate to the base case is the added guest instructions
# per datagram
printf '\n%-12s' case; for k in "${kernels[@]}"; do printf ' %32s' "$k datagrams/s (ratio, +insn)"; done; printf '\n'
for c in base transit1 transit100 inline inline_quiet encap encap_quiet; do
  printf '%-12s' "$c"
  for k in "${kernels[@]}"; do
    log=$base/$k/cost-console.log
    r=$(sed -n "s/^    | COSTMED $c //p" "$log" | tail -1)
    b=$(sed -n 's/^    | COSTMED base //p' "$log" | tail -1)
    if [ -n "$r" ] && [ -n "$b" ] && [ "$b" -gt 0 ]; then
      printf ' %14s (%5.2f, %+7d)' "$r" "$(awk -v r="$r" -v b="$b" 'BEGIN { print r / b }')" \
        "$(awk -v r="$r" -v b="$b" 'BEGIN { printf "%d", 1e9 / r - 1e9 / b }')"
    else
      printf ' %32s' "-"
    fi
  done
  printf '\n'
done
for k in "${kernels[@]}"; do
  printf '%s: %s; kernel splats in the guest: %s\n' "$k" \
    "$(grep -a -m1 '^    | kernel ' "$base/$k/cost-console.log" | sed 's/^    | //')" \
    "$(sed -n 's/^    | COSTSPLATS //p' "$base/$k/cost-console.log" | tail -1)"
done
exit 0
}

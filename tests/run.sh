#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, configures, builds and runs `meson test`. Extra arguments go to
# `meson test` (for example: --suite ipfix).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${IOAM_BUILD_DIR:-$src/build}
"$src/tests/install-deps.sh"
if [ -d "$build/meson-private" ]; then
  meson setup --reconfigure "$build" "$src" ${IOAM_MESON_OPTIONS:-}
else
  meson setup "$build" "$src" -Dtests=enabled ${IOAM_MESON_OPTIONS:-}
fi
meson compile -C "$build"
meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" "$@"

#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer, built
# with clang++ (clang 14) by default, so that CI builds and tests the whole
# tree with both compilers at no extra cost: tests/run.sh with g++, this with
# clang++ (CC=gcc CXX=g++ picks g++ here). Configures a separate build with
# -Db_sanitize=address,undefined, builds it and runs `meson test`. Any ASan
# report, leak or UBSan report fails the test that triggered it.
#
#   fuzz/run-sanitizers.sh                  # the default suites
#   fuzz/run-sanitizers.sh --suite ipfix    # extra arguments go to meson test
#
# Left out by default (SANITIZE_ALL=1 runs them too):
#   headers  - compiles every header alone with g++ and clang++
#              (-fsyntax-only, -fno-exceptions -fno-rtti): nothing runs, and
#              the ordinary build runs it;
#   consumer - builds and installs a consumer project: tests the build
#              system, not the code, and would need the sanitizer runtime
#              flags passed through pkg-config;
#   size     - the stripped exporter's size limit holds for uninstrumented
#              builds, not for ASan's.
# Everything else runs: unit, compile-time and compile-fail tests, the fuzz
# corpora (suite fuzz), interop (our encoder and decoders under the
# sanitizers, the independent tools as they are), e2e and the netns tests
# (which skip with 77 without root).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$src/build-asan}
if [ -z "${CXX:-}" ] && command -v clang++ >/dev/null; then
  export CC=clang CXX=clang++
fi
echo "sanitizer build: ${CXX:-c++} ($("${CXX:-c++}" --version | head -1))"
if [ ! -d "$build/meson-private" ]; then
  meson setup "$build" "$src" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dtests=enabled -Dbenchmarks=disabled -Dbuildtype=debugoptimized
fi
ninja -C "$build" -j "${NINJA_JOBS:-2}"
# halt_on_error makes a UBSan report fail the test (UBSan only prints by
# default); ASan aborts on its first report and checks for leaks at exit.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
exclude=()
[ -n "${SANITIZE_ALL:-}" ] || exclude=(--no-suite headers --no-suite consumer --no-suite size)
meson test -C "$build" --print-errorlogs --num-processes "${SANITIZE_JOBS:-2}" \
  --timeout-multiplier 3 "${exclude[@]}" "$@"

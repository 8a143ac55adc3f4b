#!/usr/bin/env bash
# kernel/run.sh: build Linux 6.12 with the IOAM DEX series and run the
# in-guest tests under qemu (software emulation). One command, from a
# fresh Debian 12 machine:
#
#     kernel/run.sh
#
# Exit status 0 only if the guest ran every test and all of them passed.
# Environment:
#   IOAM_KERNEL_WORK   work directory (default /var/tmp/ioam-kernel): the
#                      unpacked+patched tree (keyed by a hash of the patches
#                      and the config), the initramfs, the logs.
#   CCACHE_DIR         compiler cache (default $IOAM_KERNEL_WORK/ccache).
#   IOAM_JOBS          make -j (default: number of CPUs).
#   IOAM_QEMU_TIMEOUT  hard limit for the guest, seconds (default 1800).
#   IOAM_SMP           guest CPUs (default 2: the locking needs two).
#   IOAM_TESTS         run only these guest tests (space separated file
#                      names, e.g. "t_tcp_gso.sh"); the verdict then covers
#                      only them.
#   IOAM_KERNEL_DEBUG=1 also merge config-debug.fragment (KASAN, kmemleak,
#                      lockdep): a slower kernel and guest; the guest then
#                      also checks kmemleak. Use its own IOAM_KERNEL_WORK.
#   IOAM_NO_INSTALL=1  do not call apt-get.
#   IOAM_IPROUTE2_IP   an `ip` built with kernel/iproute2/*.patch: adds the
#                      iproute2_dex test.
#   IOAM_PATCH_DIR     apply NNNN-*.patch from this directory instead of
#                      kernel/patches (kernel/reference: the published
#                      reference DEX patch, for measurements).
#   IOAM_GUEST_EXTRA   directories (space separated) whose *.sh and *.c
#                      are added to the guest's /tests beside kernel/guest's
#                      (run them with IOAM_TESTS).
#   IOAM_GUEST_APPEND  more words for the guest's kernel command line (test
#                      parameters, e.g. "cost_seconds=4").
#   IOAM_QEMU_ARGS     more qemu arguments (e.g. "-icount shift=0": guest
#                      time counted in instructions, for measurements).
#   IOAM_CONFIG_EXTRA  more config fragments (space separated paths), merged
#                      last: a later fragment's setting of an option wins
#                      (kernel/bench/config-cost.fragment: no lockdep).
#   IOAM_KERNEL_TREE   boot this already built tree (its bzImage, headers
#                      and selftests) instead of preparing and building one
#                      (a debug kernel built earlier; the caller vouches for
#                      its patches and config).
# The whole script is one block: bash reads it before running it, so editing
# this file while it runs cannot break the run.
{
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=${IOAM_KERNEL_WORK:-/var/tmp/ioam-kernel}
jobs=${IOAM_JOBS:-$(nproc)}
qemu_timeout=${IOAM_QEMU_TIMEOUT:-1800}
smp=${IOAM_SMP:-2}
debug=${IOAM_KERNEL_DEBUG:-0}
only_tests=$(echo "${IOAM_TESTS:-}" | tr -s ' ' ',' | sed 's/^,//; s/,$//')
fragments=("$here/config.fragment")
[ "$debug" = 1 ] && fragments+=("$here/config-debug.fragment")
for f in ${IOAM_CONFIG_EXTRA:-}; do fragments+=("$f"); done
mem=512; [ "$debug" = 1 ] && mem=1536
src_tar=/usr/src/linux-source-6.12.tar.xz

log() { printf '[kernel/run.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# --- 1. packages -----------------------------------------------------------
pkgs=(linux-source-6.12 qemu-system-x86 busybox-static bc bison flex libelf-dev
      libssl-dev cpio ccache gcc libc6-dev make patch xz-utils iproute2 bash
      libmnl-dev pkg-config meson ninja-build g++ ethtool socat libmicrohttpd-dev
      libfixbuf-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${IOAM_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${missing[*]}"
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  log "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ -f "$src_tar" ] || die "$src_tar not found (package linux-source-6.12)"
log "source: linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)"

# --- 2. unpacked, patched tree, cached by content --------------------------
mkdir -p "$work"
shopt -s nullglob
patches=()
patch_dir=${IOAM_PATCH_DIR:-$here/patches}
for p in "$patch_dir"/[0-9][0-9][0-9][0-9]-*.patch; do
  case $(basename "$p") in 0000-*) continue ;; esac   # the cover letter
  patches+=("$p")
done
shopt -u nullglob
key=$( { stat -c '%s %Y' "$src_tar"; cat "${patches[@]}" /dev/null; cat "${fragments[@]}"; } \
       | sha256sum | cut -c1-16)
tree=${IOAM_KERNEL_TREE:-$work/linux-$key}
if [ -n "${IOAM_KERNEL_TREE:-}" ]; then
  [ -f "$tree/arch/x86/boot/bzImage" ] && [ -d "$tree/usr/include" ] \
    || die "IOAM_KERNEL_TREE=$tree has no built bzImage and headers"
elif [ ! -f "$tree/.ioam-ready" ]; then
  # A pristine unpacked copy, hard-linked into each patched tree: patch(1)
  # replaces the files it changes, so the pristine copy stays intact.
  pristine=$work/pristine-6.12
  if [ ! -f "$pristine/.ioam-ready" ] || [ "$(cat "$pristine/.ioam-ready")" != "$(stat -c '%s %Y' "$src_tar")" ]; then
    log "unpacking $src_tar"
    rm -rf "$pristine"
    mkdir -p "$pristine"
    tar -xf "$src_tar" -C "$pristine" --strip-components=1
    stat -c '%s %Y' "$src_tar" > "$pristine/.ioam-ready"
  fi
  log "preparing $tree"
  rm -rf "$tree" "$tree.tmp"
  cp -al "$pristine" "$tree.tmp"
  rm -f "$tree.tmp/.ioam-ready"
  for p in "${patches[@]}"; do
    log "applying $(basename "$p")"
    # Not `git apply`: inside another git work tree it silently skips.
    patch -p1 -N -s --dry-run -d "$tree.tmp" < "$p" >/dev/null || die "$(basename "$p") does not apply"
    patch -p1 -N -s -d "$tree.tmp" < "$p"
  done
  mv "$tree.tmp" "$tree"
  touch "$tree/.ioam-ready"
  # Keep the disk in check: older trees are of no use any more (ccache keeps
  # their objects).
  for old in "$work"/linux-*; do
    [ "$old" = "$tree" ] || [ "$old" = "$tree.tmp" ] || rm -rf "$old"
  done
fi
log "tree: $tree (${#patches[@]} patches)"

# --- 3. kernel ---------------------------------------------------------------
export CCACHE_DIR=${CCACHE_DIR:-$work/ccache}
export CCACHE_BASEDIR=$work
export CCACHE_DEPEND=1
export CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP='2024-11-17'
export KBUILD_BUILD_USER=ioam KBUILD_BUILD_HOST=ioam
kmake() { make -C "$tree" -s -j"$jobs" CC="ccache gcc" HOSTCC="ccache gcc" "$@"; }

t0=$(date +%s)
if [ -n "${IOAM_KERNEL_TREE:-}" ]; then
  log "using the built kernel in $tree"
else
if [ ! -f "$tree/.config" ] || [ ! -f "$tree/.ioam-config-ok" ]; then
  kmake tinyconfig >/dev/null
  (cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$tree" .config "${fragments[@]}" >/dev/null)
  kmake olddefconfig >/dev/null
  bad=0
  while IFS= read -r line; do
    case "$line" in CONFIG_*=*) ;; *) continue ;; esac
    # a later fragment that sets the option again (or unsets it) wins
    opt=${line%%=*}
    [ "$(grep -hE "^(# )?$opt[= ]" "${fragments[@]}" | tail -1)" = "$line" ] || continue
    grep -qx -- "$line" "$tree/.config" || { log "option did not stick: $line"; bad=1; }
  done < <(cat "${fragments[@]}")
  [ $bad = 0 ] || die "config fragment not applied"
  touch "$tree/.ioam-config-ok"
fi
log "building bzImage (make -j$jobs, ccache in $CCACHE_DIR)"
kmake bzImage
kmake headers >/dev/null
log "kernel built in $(( $(date +%s) - t0 )) s"
fi
bzimage=$tree/arch/x86/boot/bzImage

# --- 4. initramfs -------------------------------------------------------------
out=$work/out
rm -rf "$out/root"
mkdir -p "$out/root" "$out/bin"
root=$out/root
uapi=$tree/usr/include
cflags=(-O2 -Wall -Wextra -Werror -Wno-sign-compare -static -I"$uapi")
guest_extra=()
for d in ${IOAM_GUEST_EXTRA:-}; do guest_extra+=("$d"); done
shopt -s nullglob
guest_c=("$here"/guest/*.c)
for d in "${guest_extra[@]}"; do guest_c+=("$d"/*.c); done
shopt -u nullglob
for c in "${guest_c[@]}"; do
  gcc "${cflags[@]}" -o "$out/bin/$(basename "$c" .c)" "$c"
done
# The upstream Pre-allocated Trace selftest's parser, from the tree itself.
gcc "${cflags[@]}" -Wno-error -o "$out/bin/ioam6_parser" "$tree/tools/testing/selftests/net/ioam6_parser.c"
# ioam-route: the project's route/namespace tool (libmnl, dynamic).
gcc -O2 -Wall -Wextra -Werror -o "$out/bin/ioam-route" "$repo"/exporters/ioam-route/*.c \
    $(pkg-config --cflags --libs libmnl) 2>/dev/null \
  || { [ -d "$repo/exporters/ioam-route" ] && die "ioam-route does not build"; }

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var/run/netns,etc,tests,lib64}
cp /bin/busybox "$root/bin/busybox"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
for a in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
# Debian's ip and bash (the upstream selftest needs both), with their libraries.
copy_with_libs() {
  local f=$1 dest=$2
  cp -L "$f" "$root/$dest"
  ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -Ln "$lib" "$root$lib" 2>/dev/null || true
  done
}
rm -f "$root/bin/ip" "$root/bin/bash"
copy_with_libs /usr/bin/ip bin/ip 2>/dev/null || copy_with_libs /bin/ip bin/ip
copy_with_libs /bin/bash bin/bash
# ethtool: the TCP tests turn TSO/GSO/GRO on and off; socat and ss: the
# series' selftest (tools/testing/selftests/net/ioam6_tcp.sh)
copy_with_libs /usr/sbin/ethtool bin/ethtool
copy_with_libs /usr/bin/socat bin/socat
copy_with_libs /usr/bin/ss bin/ss
# tc: netem on the links (analysis_netem)
rm -f "$root/bin/tc"   # not busybox's applet: cp would write through its link
copy_with_libs /usr/sbin/tc bin/tc
[ -x "$out/bin/ioam-route" ] && copy_with_libs "$out/bin/ioam-route" bin/ioam-route
# ioam-exporter, ioam-collector and ioam-inject from this repository (the
# end-to-end tests), built with Meson in the work directory.
mbuild=$work/meson-build
# A work directory shared by several checkouts: a build configured for
# another source tree is made anew, so the guest runs this tree's programs.
if [ -d "$mbuild" ] && [ "$(cat "$mbuild/.ioam-source" 2>/dev/null)" != "$repo" ]; then
  rm -rf "$mbuild"
fi
mkdir -p "$mbuild" && printf '%s\n' "$repo" > "$mbuild/.ioam-source"
rm -f "$out/exporter-build.log"
if { [ -d "$mbuild/meson-private" ] || meson setup "$mbuild" "$repo" -Dtests=disabled \
       -Dbenchmarks=disabled -Dkernel_tests=disabled -Dexporter=enabled; } > "$out/exporter-build.log" 2>&1 &&
   ninja -C "$mbuild" exporters/ioam-exporter/ioam-exporter exporters/ioam-collector/ioam-collector \
     exporters/ioam-inject/ioam-inject >> "$out/exporter-build.log" 2>&1; then
  for prog in ioam-exporter ioam-collector ioam-inject; do
    copy_with_libs "$mbuild/exporters/$prog/$prog" bin/$prog
  done
  # The collector loads libmicrohttpd when --metrics asks for it (dlopen), so
  # ldd does not list it: it and its own libraries are copied by name.
  mhd=$(ldconfig -p | sed -n 's/^[[:space:]]*libmicrohttpd\.so\.12 (libc6,x86-64) => //p' | head -1)
  if [ -n "$mhd" ]; then
    mkdir -p "$root$(dirname "$mhd")"
    copy_with_libs "$mhd" "${mhd#/}"
  else
    log "warning: no libmicrohttpd.so.12 here: the collector's --metrics will fail in the guest"
  fi
else
  log "warning: ioam-exporter/collector/inject do not build (tests using them will fail): $out/exporter-build.log"
  tail -20 "$out/exporter-build.log" > "$root/tests/exporter-build-failed"
fi
# Optional: an `ip` built with kernel/iproute2/*.patch (see kernel/README.md)
if [ -n "${IOAM_IPROUTE2_IP:-}" ]; then
  [ -x "$IOAM_IPROUTE2_IP" ] || die "IOAM_IPROUTE2_IP=$IOAM_IPROUTE2_IP is not an executable"
  copy_with_libs "$IOAM_IPROUTE2_IP" bin/ip-dex
fi
cp "$out"/bin/* "$root/tests/" 2>/dev/null || true
rm -f "$root/tests/ioam-route"
cp "$here"/guest/*.sh "$root/tests/"
for d in "${guest_extra[@]}"; do cp "$d"/*.sh "$root/tests/"; done
mkdir -p "$root/tests/upstream"
cp "$tree/tools/testing/selftests/net/ioam6.sh" "$tree/tools/testing/selftests/net/lib.sh" \
   "$root/tests/upstream/"
# the series' own selftest (patch "selftests: net: ioam6: TCP at full MTU")
cp "$tree/tools/testing/selftests/net/ioam6_tcp.sh" "$root/tests/upstream/" 2>/dev/null || true
mv "$root/tests/ioam6_parser" "$root/tests/upstream/"
cp "$here/guest/init" "$root/init"
chmod +x "$root/init" "$root"/tests/*
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"

# --- 5. boot -------------------------------------------------------------------
console=$out/console.log
log "booting under qemu (tcg), log in $console"
set +e
timeout --foreground -k 10 "$qemu_timeout" qemu-system-x86_64 -accel tcg -m "$mem" -smp "$smp" \
  -nographic -no-reboot -kernel "$bzimage" -initrd "$out/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 oops=panic loglevel=${IOAM_LOGLEVEL:-4} ioam_cpus=$smp ioam_debug=$debug${only_tests:+ ioam_tests=$only_tests}${IOAM_GUEST_APPEND:+ $IOAM_GUEST_APPEND}" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 ${IOAM_QEMU_ARGS:-} </dev/null 2>&1 | tr -d '\r' | tee "$console" \
  | grep --line-buffered -E '^(TEST|SUMMARY|ok|not ok)|Kernel panic|BUG:|WARNING:' >&2
qrc=${PIPESTATUS[0]}
set -e

# --- 6. verdict ---------------------------------------------------------------
# The guest writes 0x10 (all passed) or 0x11 to the isa-debug-exit port:
# qemu exits with (value << 1) | 1, i.e. 33 or 35.
pass=$(grep -c '^TEST .*: PASS' "$console" || true)
fail=$(grep -c '^TEST .*: FAIL' "$console" || true)
expected=$(grep -m1 '^PLAN ' "$console" | awk '{print $2}')
log "qemu exit $qrc; $pass passed, $fail failed, ${expected:-?} planned"
if grep -qE 'Kernel panic|BUG:|WARNING: CPU|general protection' "$console"; then
  log "kernel splat in the console log"; exit 1
fi

# --- 7. host-side checks of what the guest recorded ---------------------------
# A guest test prints an IPFIX file as "IPFIX64 <test> <base64 of gzip>" lines
# and the values an independent decoder must find in it as
# "HOSTCHECK <test> name=value ..." (all.sh puts "    | " before them):
# libfixbuf's ipfixDump decodes the file with our element file, and each
# name's last value must be the one given.
hostfail=0
while read -r t kvs; do
  f=$out/$t.ipfix
  sed -n "s/^    | IPFIX64 $t //p" "$console" | base64 -d | gunzip > "$f" || { log "$t: no IPFIX file"; hostfail=1; continue; }
  dump=$(ipfixDump --in "$f" --element-file "$repo/exporters/ioam-exporter/ie/ioam-ies.xml" 2>&1) ||
    { log "$t: ipfixDump failed: $(printf '%s' "$dump" | tail -3)"; hostfail=1; continue; }
  for kv in $kvs; do
    got=$(printf '%s\n' "$dump" | sed -n "s/^.*\b${kv%%=*} : \([0-9]*\).*$/\1/p" | tail -1)
    if [ "$got" = "${kv#*=}" ]; then log "host check $t: ipfixDump ${kv%%=*} = $got: ok"
    else log "host check $t: ipfixDump ${kv%%=*} = '$got', expected ${kv#*=}: FAIL"; hostfail=1; fi
  done
done < <(sed -n 's/^    | HOSTCHECK //p' "$console")
if grep -q '^TEST event_flood: PASS' "$console" && ! grep -q '^    | HOSTCHECK event_flood ' "$console"; then
  log "event_flood ran but printed no HOSTCHECK line"; hostfail=1
fi
[ $hostfail = 0 ] || exit 1
if [ "$qrc" = 33 ] && [ "$fail" = 0 ] && [ -n "$expected" ] && [ "$pass" = "$expected" ]; then
  log "all $pass tests passed"; exit 0
fi
exit 1
}

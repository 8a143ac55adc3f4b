#!/usr/bin/env bash
# Another Meson project can depend on ioam-ipfix as a subproject and, after
# `meson install`, through pkg-config.
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app/subprojects"
cat > "$work/app/meson.build" <<'MESON'
project('app', 'cpp', default_options: ['cpp_std=c++20'])
dep = dependency('ioam-ipfix', fallback: ['ioam-ipfix', 'ioam_ipfix_dep'])
executable('app', 'app.cpp', dependencies: dep)
MESON
cat > "$work/app/app.cpp" <<'CPP'
#include <ioam/ipfix.hpp>
int main() { return ioam::ipfix::ie::octetDeltaCount::info.id == 1 ? 0 : 1; }
CPP
# 1. As a subproject (a copy of the tracked sources, without build directories).
mkdir "$work/app/subprojects/ioam-ipfix"
(cd "$src" && tar --exclude='./build*' -cf - meson.build meson_options.txt include exporters fuzz bench kernel tests subprojects) \
  | tar -xf - -C "$work/app/subprojects/ioam-ipfix"
meson setup "$work/b1" "$work/app" --wrap-mode=forcefallback -Dioam-ipfix:tests=disabled \
  -Dioam-ipfix:benchmarks=disabled -Dioam-ipfix:exporter=disabled >"$work/log1" 2>&1 || { cat "$work/log1"; exit 1; }
ninja -C "$work/b1" >/dev/null
"$work/b1/app"
echo "ok: used as a Meson subproject"
# 2. Installed, found through pkg-config.
meson setup "$work/lib" "$src" -Dtests=disabled -Dbenchmarks=disabled -Dexporter=disabled \
  --prefix=/usr >"$work/log2" 2>&1 || { cat "$work/log2"; exit 1; }
DESTDIR="$work/root" meson install -C "$work/lib" >/dev/null
pc="$work/root/usr/lib/x86_64-linux-gnu/pkgconfig"
[ -d "$pc" ] || pc=$(dirname "$(find "$work/root" -name ioam-ipfix.pc | head -1)")
flags=$(PKG_CONFIG_SYSROOT_DIR="$work/root" PKG_CONFIG_PATH="$pc" pkg-config --cflags ioam-ipfix)
echo "pkg-config --cflags: $flags"
c++ $flags "$work/app/app.cpp" -o "$work/app2"
"$work/app2"
echo "ok: installed headers found through pkg-config"

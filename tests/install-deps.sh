#!/usr/bin/env bash
# Installs, from Debian 12's archive, everything the build, the tests and the
# demo need. Safe to run again: it installs only what is missing.
set -euo pipefail
pkgs=(
  # build
  meson ninja-build pkg-config cmake g++ clang lld libclang-rt-14-dev python3
  libgtest-dev libbenchmark-dev libmnl-dev librange-v3-dev
  # independent decoders used as oracles, and a peer for the benchmarks
  tshark libfixbuf-dev libfixbuf-tools nfdump pmacct python3-ipfix
  # network namespaces for the end-to-end tests
  iproute2 procps kmod util-linux
  # systemd-analyze checks the exporter's unit file
  systemd
  # IPFIX over TLS (OpenSSL 3), and the openssl command as the collector's peer in tests
  libssl-dev openssl
  # man pages (scdoc) and their check (groff)
  scdoc groff-base
  # the Debian packages (debian/): build, lint, man -w after installing
  debhelper dpkg-dev lintian man-db
  # ioam-collector --metrics (libmicrohttpd) and the Prometheus server that scrapes it in the tests
  libmicrohttpd-dev prometheus
  # the analysis test: checksum offload off on its veths, PromQL over HTTP, a first ping
  ethtool curl iputils-ping
  # ioam-flow-exporter: eBPF build (clang above), its kernel test's traffic and checks
  libbpf-dev bpftool ethtool iputils-ping
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env python3
"""The Debian packages: built from debian/ with dpkg-buildpackage, lintian
clean at its default level, installed on this machine, the installed
programs run, and removed (purged) again.

usage: run_package.py SOURCE_ROOT MAKE_REPLAY

Needs root and dpkg-buildpackage with the build dependencies (tests/
install-deps.sh installs them); exits 77 saying why otherwise, or when one of
the packages is installed already (it would not be the machine's state
afterwards). The source is copied to a temporary folder first, so the tree
is left as it was. Two ports on 127.0.0.1 the kernel gives as free.
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, free_ports, skip  # noqa: E402

PORT, METRICS_PORT = free_ports([socket.SOCK_DGRAM, socket.SOCK_STREAM])  # the collector (UDP), --metrics


def control_packages(src):
    """The binary packages debian/control declares."""
    with open(os.path.join(src, "debian", "control")) as f:
        return [line.split(":", 1)[1].strip() for line in f if line.startswith("Package:")]


PACKAGES = []


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "install ok installed" in r.stdout


def build(src, work):
    tree = os.path.join(work, "ioam-ipfix")
    os.makedirs(tree)
    # The tree without build folders or git metadata.
    tar = subprocess.Popen(["tar", "-C", src, "--exclude=./build*", "--exclude=./.git", "-cf", "-", "."],
                           stdout=subprocess.PIPE)
    subprocess.run(["tar", "-xf", "-", "-C", tree], stdin=tar.stdout, check=True)
    tar.wait()
    r = run(["dpkg-checkbuilddeps"], cwd=tree)
    if r.returncode != 0:
        skip(f"build dependencies missing: {r.stderr.strip()} (tests/install-deps.sh installs them)")
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    t = time.monotonic()
    r = run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, env=env)
    took = time.monotonic() - t
    with open(os.path.join(work, "build.log"), "w") as f:
        f.write(r.stdout + r.stderr)
    check(r.returncode == 0, f"dpkg-buildpackage -b: exit {r.returncode} in {took:.0f} s"
          + ("" if r.returncode == 0 else ":\n" + (r.stdout + r.stderr)[-3000:]))
    debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(work, "*.deb"))
            if "-dbgsym_" not in p}
    check(sorted(debs) == sorted(PACKAGES), f"packages built: {sorted(debs)}")
    return debs, glob.glob(os.path.join(work, "*.changes"))


def lint(changes):
    if not shutil.which("lintian"):
        check(False, "lintian is installed (tests/install-deps.sh)")
        return
    r = run(["lintian", "--fail-on", "error,warning", *changes])
    tags = [line for line in r.stdout.splitlines() if line[:2] in ("E:", "W:")]
    check(r.returncode == 0 and not tags, f"lintian: no error or warning ({tags or r.stderr.strip()[-500:]})")


def try_installed(make_replay, work):
    files = {
        "/usr/bin/ioam-exporter": "ioam-exporter", "/usr/bin/ioam-collector": "ioam-collector",
        "/usr/bin/ioam-inject": "ioam-inject", "/usr/bin/ioam-route": "ioam-route",
        "/lib/systemd/system/ioam-exporter.service": "ioam-exporter",
        "/etc/default/ioam-exporter": "ioam-exporter",
        "/usr/share/ioam-exporter/ioam-ies.xml": "ioam-exporter",
        "/usr/include/ioam/ipfix.hpp": "libioam-ipfix-dev",
        "/usr/share/pkgconfig/ioam-ipfix.pc": "libioam-ipfix-dev",
        "/usr/share/ioam-collector/rfc9951.xml": "ioam-collector",
    }
    if "ioam-flow-exporter" in PACKAGES:
        files.update({p: "ioam-flow-exporter" for p in (
            "/usr/bin/ioam-flow-exporter", "/lib/systemd/system/ioam-flow-exporter.service",
            "/etc/default/ioam-flow-exporter")})
    for path, pkg in files.items():
        r = run(["dpkg", "-S", path])
        check(r.returncode == 0 and r.stdout.startswith(pkg + ":"), f"{path} installed by {pkg}")
    # Every program of every package has its man page.
    for pkg in PACKAGES:
        for path in run(["dpkg", "-L", pkg]).stdout.split():
            if path.startswith("/usr/bin/") and os.path.isfile(path):
                page = os.path.basename(path)
                r = run(["man", "-w", page])
                check(r.returncode == 0 and r.stdout.strip().startswith("/usr/share/man/"),
                      f"man {page}: {r.stdout.strip()}")
    lua = glob.glob("/usr/lib/*/wireshark/plugins/ioam.lua")
    check(len(lua) == 1, f"the dissector in Wireshark's global Lua plugin folder: {lua}")
    units = [p for p in files if p.endswith(".service")]
    for unit in units:
        if shutil.which("systemd-analyze"):
            r = run(["systemd-analyze", "verify", unit])
            check(r.returncode == 0, f"systemd-analyze verify of the installed unit {unit} {r.stderr.strip()}")
        r = run(["systemctl", "is-enabled", os.path.basename(unit)])
        check(r.stdout.strip() not in ("enabled", "enabled-runtime"),
              f"{os.path.basename(unit)} is not enabled by the installation ({r.stdout.strip()})")

    # The package's collector was built with OpenSSL (TLS) and libmicrohttpd (--metrics).
    deps = run(["dpkg-query", "-W", "-f=${Depends}", "ioam-collector"]).stdout
    check("libssl3" in deps and "libmicrohttpd" in deps, f"ioam-collector depends on libssl3 and libmicrohttpd: {deps}")

    # The installed exporter replays recorded events to the installed collector over UDP.
    pcap, expected, counts = (os.path.join(work, n) for n in ("events.pcap", "expected.jsonl", "counts"))
    subprocess.run([make_replay, pcap, expected, counts], check=True)
    want = [json.loads(line) for line in open(expected)]
    col = subprocess.Popen(["/usr/bin/ioam-collector", "--listen", f"127.0.0.1:{PORT}", "--json",
                            "--count", str(len(want)), "--idle-exit", "10"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    e = run(["/usr/bin/ioam-exporter", "--replay", pcap, "-c", f"127.0.0.1:{PORT}"], timeout=60)
    check(e.returncode == 0, f"installed ioam-exporter --replay: exit {e.returncode} {e.stderr.strip()[-300:]}")
    try:
        out, err = col.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        col.kill()
        out, err = col.communicate()
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    got = [g for g in got if "options" not in g]
    check(col.returncode == 0 and got == want,
          f"installed ioam-collector printed the {len(want)} records make_replay expects (got {len(got)}, exit {col.returncode})")

    # The installed collector correlates the same replay and serves its Prometheus endpoint (libmicrohttpd).
    col = subprocess.Popen(["/usr/bin/ioam-collector", "--listen", f"127.0.0.1:{PORT}", "--idle-exit", "20",
                            "--correlate", os.devnull, "--metrics", f"127.0.0.1:{METRICS_PORT}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def scrape():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5) as resp:
                return resp.read().decode()
        except OSError:
            return ""

    def records(text):
        return sum(int(float(line.split()[-1])) for line in text.splitlines()
                   if line.startswith("ioam_correlator_records_total"))

    text = ""
    for _ in range(50):
        if (text := scrape()) or col.poll() is not None:
            break
        time.sleep(0.1)
    e = run(["/usr/bin/ioam-exporter", "--replay", pcap, "-c", f"127.0.0.1:{PORT}"], timeout=60)
    for _ in range(50):  # refreshed every 0.25-0.5 s
        time.sleep(0.2)
        if records(text := scrape()) > 0:
            break
    col.terminate()
    try:
        _, err = col.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        col.kill()
        _, err = col.communicate()
    check(e.returncode == 0 and "# TYPE ioam_hop_delay_seconds histogram" in text and records(text) > 0,
          f"installed ioam-collector --metrics serves the Prometheus text with the replay's records counted "
          f"({records(text)} records; {err.strip()[-300:]})")
    if shutil.which("tshark"):
        r = run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "ioam6_genl.cmd"])
        cmds = [x for x in r.stdout.split() if x]
        check(len(cmds) >= len({w["event"] for w in want}) and "1" in cmds and "2" in cmds,
              f"tshark without -X decodes the recorded events with the installed ioam.lua ({len(cmds)} events)")

    # The -dev package: a program built against the installed headers via pkg-config.
    prog = os.path.join(work, "consumer")
    code = ("#include <ioam/ipfix.hpp>\n#include <ioam/trace.hpp>\n#include <ioam/netlink.hpp>\n"
            "int main() { return ioam::trace::node_len_of(0xc40000) == 3 ? 0 : 1; }\n")
    cflags = run(["pkg-config", "--cflags", "ioam-ipfix"]).stdout.split()
    r = run(["g++", *cflags, "-x", "c++", "-", "-o", prog], input=code)
    check(r.returncode == 0 and run([prog]).returncode == 0,
          f"a program builds against the installed headers (pkg-config: {' '.join(cflags)}) {r.stderr[-500:]}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, make_replay = sys.argv[1], os.path.abspath(sys.argv[2])
    PACKAGES[:] = control_packages(src)
    check(set(PACKAGES) >= {"ioam-exporter", "ioam-collector", "ioam-inject", "ioam-route", "libioam-ipfix-dev"},
          f"debian/control declares the packages: {PACKAGES}")
    if os.geteuid() != 0:
        skip("needs root (installs and removes packages)")
    for tool in ("dpkg-buildpackage", "dpkg-checkbuilddeps", "dh"):
        if not shutil.which(tool):
            skip(f"{tool} is missing (apt-get install dpkg-dev debhelper)")
    already = [p for p in PACKAGES if installed(p)]
    if already:
        skip(f"already installed here, left alone: {' '.join(already)}")
    work = tempfile.mkdtemp(prefix="ec-deb-")
    try:
        debs, changes = build(src, work)
        if sorted(debs) != sorted(PACKAGES):
            return finish("debian/packages")
        lint(changes)
        t = time.monotonic()
        r = run(["dpkg", "-i", *[debs[p] for p in PACKAGES]])
        check(r.returncode == 0, f"dpkg -i: exit {r.returncode} {r.stderr.strip()[-500:]}")
        if r.returncode == 0:
            try_installed(make_replay, work)
        print(f"installed and tried in {time.monotonic() - t:.0f} s")
    finally:
        present = [p for p in PACKAGES if installed(p) or run(["dpkg-query", "-W", p]).returncode == 0]
        if present:
            r = run(["dpkg", "--purge", *present])
            check(r.returncode == 0, f"dpkg --purge: exit {r.returncode} {r.stderr.strip()[-300:]}")
        left = [p for p in PACKAGES if run(["dpkg-query", "-W", "-f=${Status}", p]).stdout.strip() not in
                ("", "unknown ok not-installed")]
        check(not left, f"every package removed ({left})")
        gone = ["/usr/bin/ioam-exporter", "/etc/default/ioam-exporter", "/lib/systemd/system/ioam-exporter.service",
                "/usr/include/ioam", "/usr/share/ioam-exporter", "/usr/share/ioam-collector",
                "/usr/bin/ioam-flow-exporter", "/etc/default/ioam-flow-exporter",
                "/lib/systemd/system/ioam-flow-exporter.service", *glob.glob("/usr/lib/*/wireshark/plugins/ioam.lua")]
        check(not [p for p in gone if os.path.exists(p)], "no file of the packages left after the purge")
        shutil.rmtree(work, ignore_errors=True)
    return finish("debian/packages")


if __name__ == "__main__":
    sys.exit(main())

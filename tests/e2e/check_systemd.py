#!/usr/bin/env python3
"""The systemd unit in exporters/ioam-exporter/systemd/: systemd-analyze
verify accepts it without a warning, and the exporter runs the way the unit
starts it: an unprivileged user whose only capability is the unit's
AmbientCapabilities (CAP_NET_ADMIN), with the options of the shipped
defaults file. It must subscribe, then hold no capability at all; without
the capability it must fail with exit status 3.

usage: check_systemd.py UNIT.in DEFAULTS IOAM_EXPORTER
Skips (77) without systemd-analyze; the run part needs root, network
namespaces and IOAM6 events (skipped with a reason otherwise).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from checks import check, finish, skip

unit_in, defaults, exporter = sys.argv[1:4]
exporter = os.path.abspath(exporter)


def main():
    if not shutil.which("systemd-analyze"):
        skip("systemd-analyze is not installed")
    text = open(unit_in).read()
    unit = text.replace("@bindir@", os.path.dirname(exporter)).replace("@sysconfdir@", "/etc")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ioam-exporter.service")
        open(path, "w").write(unit)
        v = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
        # verify exits 0 on unknown settings; its warnings name the file.
        warnings = [l for l in (v.stdout + v.stderr).splitlines() if "ioam-exporter.service" in l]
        check(v.returncode == 0 and not warnings, f"systemd-analyze verify: {v.returncode} {warnings}")

    setting = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    caps = setting.get("AmbientCapabilities", "").split()
    check(caps == ["CAP_NET_ADMIN"], f"the unit grants CAP_NET_ADMIN only ({caps})")
    check(setting.get("CapabilityBoundingSet", "").split() == ["CAP_NET_ADMIN"], "bounding set: CAP_NET_ADMIN")
    check(setting.get("NoNewPrivileges") == "yes" and setting.get("DynamicUser") == "yes", "unprivileged user")
    m = re.search(r'^IOAM_EXPORTER_OPTS="(.*)"$', open(defaults).read(), re.M)
    check(m is not None, "the defaults file sets IOAM_EXPORTER_OPTS")
    opts = shlex.split(m.group(1)) if m else []

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("not root or no setpriv: the unprivileged run is not checked")
        return finish("systemd unit")
    netns = f"unit{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", netns], capture_output=True).returncode != 0:
        print("cannot create a network namespace: the unprivileged run is not checked")
        return finish("systemd unit")
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
        base = ["ip", "netns", "exec", netns, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--no-new-privs"]
        with_cap = base + ["--inh-caps=+net_admin", "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin"]
        errf = tempfile.NamedTemporaryFile("w+", suffix=".err")
        p = subprocess.Popen(with_cap + [exporter, *opts], stderr=errf, stdout=subprocess.DEVNULL, text=True)
        deadline = time.time() + 10
        while time.time() < deadline and p.poll() is None and "subscribed" not in open(errf.name).read():
            time.sleep(0.05)
        time.sleep(0.3)  # privileges are dropped right after the subscription message
        if p.poll() is not None:
            err = open(errf.name).read()
            check(False, f"exporter exited {p.returncode} under the unit's privileges: {err.strip()}")
            return finish("systemd unit")
        status = open(f"/proc/{p.pid}/status").read()
        uid = re.search(r"^Uid:\s*(\d+)", status, re.M)
        check(uid is not None and uid.group(1) == "65534", "runs as the unprivileged user")
        for kind in ("CapEff", "CapPrm", "CapAmb"):
            v = re.search(r"^" + kind + r":\s*([0-9a-f]+)", status, re.M)
            check(v is not None and int(v.group(1), 16) == 0, f"no capability left after subscribing ({kind})")
        p.terminate()
        p.wait(timeout=10)
        err = open(errf.name).read()
        check(p.returncode == 0, f"SIGTERM: clean exit ({p.returncode})")
        check("subscribed to IOAM6" in err, "subscribed with CAP_NET_ADMIN only")
        q = subprocess.run(base + ["--inh-caps=-all", "--bounding-set=-all", exporter, *opts], capture_output=True,
                           text=True, timeout=20)
        check(q.returncode == 3, f"without CAP_NET_ADMIN: exit status 3 ({q.returncode}: {q.stderr.strip()})")
    finally:
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
    return finish("systemd unit")


if __name__ == "__main__":
    sys.exit(main())

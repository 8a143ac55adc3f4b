#!/usr/bin/env python3
"""ioam-exporter over TLS (RFC 7011 11; --tls / -c tls://) against an
independent peer, `openssl s_server -Verify` (mutual authentication): the
replayed events reach it as IPFIX that ioam-collector decodes field by field
to what make_replay's inputs say; a server whose certificate is not signed by
our CA is refused (no connection, every event counted as dropped).

usage: run_tls.py MAKE_REPLAY IOAM_EXPORTER IOAM_COLLECTOR
Needs the openssl command (exits 77 without it). Two loopback ports the kernel gives as free.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from checks import check, finish, free_ports, skip

make_replay, exporter, collector = sys.argv[1:4]
PORT_GOOD, PORT_BAD = free_ports([socket.SOCK_STREAM] * 2)

if not shutil.which("openssl"):
    skip("the openssl command is missing")


def run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30).check_returncode()


def certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for ca in ("ca", "other-ca"):
        run(["openssl", "req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "3",
             "-subj", f"/CN=ss {ca}"], d)
    for name, ca, ext in (("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                          ("client", "ca", "extendedKeyUsage=clientAuth\n"),
                          ("wrong-server", "other-ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")):
        run(["openssl", "req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", f"/CN={name}"], d)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        run(["openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
             "-CAcreateserial", "-days", "3", "-out", name + ".pem", "-extfile", name + ".ext"], d)


def s_server(d, port, cert, out):
    p = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert + ".pem", "-key",
                          cert + ".key", "-CAfile", "ca.pem", "-Verify", "1", "-verify_return_error", "-quiet",
                          "-naccept", "1"], cwd=d, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE)
    time.sleep(0.5)
    return p


def stat(text, key):
    m = re.search(r"\b" + key + r"=(\d+)", text)
    return int(m.group(1)) if m else None


with tempfile.TemporaryDirectory(prefix="ss-tls-") as d:
    certs(d)
    pcap, expected, counts = (os.path.join(d, n) for n in ("e.pcap", "e.jsonl", "counts"))
    subprocess.run([make_replay, pcap, expected, counts], check=True)
    want = [json.loads(l) for l in open(expected) if l.strip()]
    tls = ["--tls-ca", f"{d}/ca.pem", "--tls-cert", f"{d}/client.pem", "--tls-key", f"{d}/client.key"]

    received = os.path.join(d, "received.ipfix")
    with open(received, "wb") as out:
        srv = s_server(d, PORT_GOOD, "server", out)
        e = subprocess.run([exporter, "--replay", pcap, "-c", f"tls://127.0.0.1:{PORT_GOOD}", *tls, "--mtu", "600"],
                           capture_output=True, text=True, timeout=60)
        time.sleep(0.5)
        srv.terminate()
        _, serr = srv.communicate(timeout=10)
    print(e.stderr, end="")
    check(e.returncode == 0, f"exporter exit status {e.returncode}")
    check(stat(e.stderr, "connects") == 1, "one TLS connection")
    check(stat(e.stderr, "events_dropped") == 0 and stat(e.stderr, "records_lost") == 0, "nothing dropped or lost")
    c = subprocess.run([collector, "--json", received], capture_output=True, text=True, timeout=60)
    print(c.stderr, end="")
    got = [r for r in (json.loads(l) for l in c.stdout.splitlines() if l.strip()) if "options" not in r]
    check(stat(c.stderr, "sequence_gaps") == 0 and stat(c.stderr, "skipped_sets") == 0,
          "what s_server received decodes: no gap, no skipped set")
    check(got == want, f"every record as the inputs say ({len(got)} of {len(want)})")
    check(any("options" in l for l in c.stdout.splitlines()), "the statistics record went over TLS too")

    # A server whose certificate our CA did not sign: refused, nothing sent.
    with open(os.devnull, "wb") as out:
        srv = s_server(d, PORT_BAD, "wrong-server", out)
        e = subprocess.run([exporter, "--replay", pcap, "--tls", f"127.0.0.1:{PORT_BAD}", *tls, "--drain-timeout", "700"],
                           capture_output=True, text=True, timeout=60)
        srv.kill()
        srv.communicate(timeout=10)
    print(e.stderr, end="")
    check(e.returncode == 0, f"wrong server: exporter exit status {e.returncode}")
    check(stat(e.stderr, "connects") == 0 and (stat(e.stderr, "failures") or 0) >= 1,
          "wrong server: no connection, the failure counted")
    check("certificate verify failed" in e.stderr or "verify" in e.stderr.lower(), "wrong server: the reason is logged")
    check(stat(e.stderr, "events_dropped") == int(open(counts).read().split()[0].split("=")[1]),
          "wrong server: every event counted as dropped")
sys.exit(finish("exporter over TLS"))

#!/usr/bin/env python3
"""IPFIX over TLS (RFC 7011 11) between our two programs in network
namespaces, with certificates made here by the openssl command:

  S --veth-- R --veth-- C
  ioam-inject in S sends UDP with an IOAM Pre-allocated Trace to R, whose
  kernel fills its node and emits an IOAM6 TRACE event per packet;
  ioam-exporter in R sends them with -c tls://collector.co.test:4740 (C's
  address in R's /etc/hosts; client certificate
  "CN=exporter-1,O=ioam-ipfix") to ioam-collector --listen-tls in C, which
  requires client certificates signed by our CA.

- every record the collector prints equals what the exporter printed for the
  same event (--console=json beside the TLS output; the event number is the
  export session's, so it counts from 1 again on a new connection), and the
  collector names the peer's certificate subject in its statistics;
- the collector restarts: what the exporter kept meanwhile (its backlog)
  arrives on the new connection, templates re-sent (nothing skipped), no
  sequence gap, nothing dropped or lost;
- client certificates from another CA, expired or self-signed are refused
  by the collector with a log line naming the reason, and nothing from them
  is decoded; an exporter without a certificate does not start (the reason
  on stderr), and a peer that sends none (openssl s_client from R) is
  refused; the good exporter's records still arrive afterwards;
- the exporter's view of a collector whose server certificate is from
  another CA, expired, self-signed or for another name: refused with the
  reason in its log.

Needs root, network namespaces, a kernel with IPv6 IOAM events and the
openssl command; exits 77 saying which is missing.
usage: tls_netns.py EXPORTER COLLECTOR INJECT"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from common import Certs, Collector, Proc, check, finish, skip, stats
from checks import ns, require_ioam_netns, sh  # tests/e2e, on the path that common.py sets

exporter, collector, inject = (os.path.abspath(p) for p in sys.argv[1:4])
suffix = str(os.getpid())
S, R, C = "coS" + suffix, "coR" + suffix, "coC" + suffix
IOAM_NS, NODE_ID = 78, 4343
DST, RECV_PORT = "2001:db8:c0::2", 9000
COLL = "2001:db8:c1::2"
# The collector by name (R's /etc/hosts: ip netns exec binds /etc/netns/R/hosts
# over it) and by address: the certificate carries both.
NAME, OTHER_NAME = "collector.co.test", "other.co.test"
TLS_BY_NAME, TLS = f"tls://{NAME}:4740", f"tls://[{COLL}]:4740"
SUBJECT = "CN=exporter-1,O=ioam-ipfix"


ETC_NETNS_MADE = not os.path.exists("/etc/netns")


def setup():
    for n in (S, R, C):
        sh(f"ip netns add {n}")
        ns(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
        ns(n, "ip link set lo up")
    sh(f"ip link add s0 netns {S} type veth peer name r0 netns {R}")
    sh(f"ip link add r1 netns {R} type veth peer name c0 netns {C}")
    ns(S, "ip addr add 2001:db8:c0::1/64 dev s0")
    ns(R, f"ip addr add {DST}/64 dev r0")
    ns(R, "ip addr add 2001:db8:c1::1/64 dev r1")
    ns(C, f"ip addr add {COLL}/64 dev c0")
    for n, dev in ((S, "s0"), (R, "r0"), (R, "r1"), (C, "c0")):
        ns(n, f"ip link set {dev} up")
    ns(R, f"sysctl -qw net.ipv6.ioam6_id={NODE_ID} net.ipv6.conf.r0.ioam6_enabled=1 net.ipv6.conf.r0.ioam6_id=5")
    ns(R, f"ip ioam namespace add {IOAM_NS}")
    os.makedirs(f"/etc/netns/{R}", exist_ok=True)
    with open(f"/etc/netns/{R}/hosts", "w") as f:
        f.write(f"{COLL} {NAME} {OTHER_NAME}\n")


def teardown():
    for n in (S, R, C):
        sh(f"ip netns del {n}", check_rc=False)
    shutil.rmtree(f"/etc/netns/{R}", ignore_errors=True)
    if ETC_NETNS_MADE:
        try:
            os.rmdir("/etc/netns")
        except OSError:
            pass  # others use it now


def send(count):
    ns(S, f"{inject} --dst {DST} --port {RECV_PORT} --type 0xf00000 --namespace {IOAM_NS} --nodes 2 "
          f"--count {count} --rate 500")


def stat(text, key):
    """The last value of key=N in a statistics line."""
    vals = re.findall(r"\b" + key + r"=(\d+)", text)
    return int(vals[-1]) if vals else None


def start_collector(d, work, name, cert):
    c = Collector(collector, ["--listen-tls", f"[{COLL}]:4740", "--tls-cert", f"{work}/{cert}.pem",
                              "--tls-key", f"{work}/{cert}.key", "--tls-ca", f"{work}/ca.pem"], d, name,
                  prefix=["ip", "netns", "exec", C])
    if not c.wait_for("listening on TLS"):
        raise RuntimeError(f"collector {name} did not start: {c.text()}")
    return c


def start_exporter(d, work, name, cert, wait="subscribed", to=TLS):
    tls = ["--tls-ca", f"{work}/ca.pem"] + (["--tls-cert", f"{work}/{cert}.pem", "--tls-key", f"{work}/{cert}.key"]
                                             if cert else [])
    e = Proc([exporter, "-c", to, *tls, "--console=json", "--reporting-node-only", "--flush-ms", "20",
              "--stats-interval", "1"], d, name, prefix=["ip", "netns", "exec", R], out=".jsonl")
    if wait and not e.wait_for(wait):
        rc = e.stop()
        if rc == 3:
            skip(f"exporter cannot subscribe: {e.text().strip()}")
        raise RuntimeError(f"exporter {name} did not start ({rc}): {e.text()}")
    return e


def records(path):
    """The JSON lines of a file, without the statistics options records."""
    recs = [json.loads(x) for x in open(path) if x.strip()]
    return [r for r in recs if "options" not in r]


def wait_records(c, n, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline and len(records(c.out_path)) < n:
        time.sleep(0.05)
    return len(records(c.out_path))


def refused_lines(c):
    return [x for x in c.text().splitlines() if ": refused: " in x and "TLS" in x]


def wait_refused(c, before, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline and len(refused_lines(c)) <= before:
        time.sleep(0.05)
    lines = refused_lines(c)
    return lines[before] if len(lines) > before else ""


def run(d, work):
    # ---- records compared, the peer's subject in the statistics -----------------------
    c1 = start_collector(d, work, "c1", "server")
    e = start_exporter(d, work, "exporter", "client", to=TLS_BY_NAME)
    check(e.wait_for("connected"), f"exporter connects over TLS to {TLS_BY_NAME} (the name checked)")
    send(10)
    check(wait_records(c1, 10) == 10, f"10 records decoded ({len(records(c1.out_path))})")
    rc, _, err1 = c1.stop()
    got1 = records(c1.out_path)
    check(rc == 0, f"collector exit status {rc}")
    check(any("2001:db8:c1::1" in x and f'peer "{SUBJECT}"' in x for x in err1.splitlines()),
          "the connection log names the exporter's address and subject")
    peer = [x for x in err1.splitlines() if "tls peer" in x]
    check(peer and f'"{SUBJECT}"' in peer[-1] and "connections=1" in peer[-1] and "records=10" in peer[-1],
          f"the peer's certificate subject in the statistics: {peer[-1] if peer else None!r}")

    # ---- collector restart: the backlog and the templates on the new connection ---------
    check(e.wait_for("connection lost"), "exporter sees the collector go")
    send(30)  # collector down: kept in the exporter's backlog
    time.sleep(1.0)
    c2 = start_collector(d, work, "c2", "server")
    got = wait_records(c2, 30, timeout=40)  # the exporter's backoff is at most 30 s
    check(got == 30, f"the new collector gets the 30 records held back ({got})")
    send(10)
    check(wait_records(c2, 40) == 40, "and the 10 sent after the reconnection")

    # ---- refused client certificates ------------------------------------------------------
    for what, cert, reason in (("from another CA", "wrong", "unable to get local issuer certificate"),
                               ("expired", "expired", "certificate has expired"),
                               ("self-signed", "selfsigned", "self-signed certificate")):
        before = len(refused_lines(c2))
        bad = start_exporter(d, work, "exporter-" + cert, cert)
        line = wait_refused(c2, before)
        bad.stop()
        check(reason in line, f"client certificate {what}: the collector refuses it, saying {reason!r}: {line!r}")
        etext = bad.text()
        check("connection lost" in etext or "retrying" in etext,
              f"client certificate {what}: the exporter reports the failed connection "
              f"({[x for x in etext.splitlines() if 'collector' in x][:2]})")
    nocert = start_exporter(d, work, "exporter-nocert", None, wait=None)
    rc = nocert.p.wait(timeout=30)
    nocert.stop()
    check(rc != 0 and "TLS needs --tls-ca, --tls-cert and --tls-key" in nocert.text(),
          f"no client certificate: the exporter does not start (exit {rc}): {nocert.text().strip()!r}")
    before = len(refused_lines(c2))
    s_client = subprocess.run(["ip", "netns", "exec", R, "openssl", "s_client", "-connect", f"[{COLL}]:4740",
                               "-CAfile", f"{work}/ca.pem", "-quiet", "-no_ign_eof"],
                              input=b"", capture_output=True, timeout=30)
    line = wait_refused(c2, before)
    check("did not return a certificate" in line, f"no client certificate (s_client in R): refused: {line!r}")
    send(5)
    check(wait_records(c2, 45) == 45, "the good exporter's records still arrive after the refusals")
    st = c2.dump_stats()
    check(st.get("tls_refused") == len(refused_lines(c2)) and st.get("tls_refused", 0) >= 4,
          f"refusals counted in the statistics (tls_refused={st.get('tls_refused')})")
    rc = e.stop()
    time.sleep(0.3)
    rc2, _, err2 = c2.stop()
    got2 = records(c2.out_path)
    text = e.text()
    sent = records(e.out_path)
    print("\n".join(x for x in text.splitlines() if "stats" in x or "collector" in x))
    check(rc == 0 and rc2 == 0, f"exit statuses: exporter {rc}, collector {rc2}")
    check(len(sent) == 55, f"the exporter printed 55 events ({len(sent)})")
    check(got1 == sent[:10], "the first collector's records equal the exporter's, field by field")
    # The event number is the export session's: a new connection's session counts from 1 again.
    renumbered = [dict(r, event=r["event"] - 10) for r in sent[10:55]]
    diff = [(a, b) for a, b in zip(got2, renumbered) if a != b][:1]
    check(got2 == renumbered, "the second collector's records equal the exporter's, field by field, events "
                              f"numbered from 1 on the new connection {diff}")
    check(all(r.get("node_id") == NODE_ID and r.get("namespace") == IOAM_NS for r in got1 + got2),
          f"node id {NODE_ID} and namespace {IOAM_NS} in every record")
    check(stat(text, "connects") == 2, f"exporter: two connections (connects={stat(text, 'connects')})")
    check(stat(text, "events_dropped") == 0 and stat(text, "records_lost") == 0, "exporter: nothing dropped or lost")
    check(stat(err2, "skipped_sets") == 0, "templates re-sent on the new connection (no set skipped)")
    check(stat(err2, "sequence_gaps") == 0, "sequence numbers consistent on the new session")
    peer = [x for x in err2.splitlines() if "tls peer" in x and SUBJECT in x]
    check(peer and "records=45" in peer[-1], f"second collector: the peer's records in the statistics: {peer}")

    # ---- the exporter's view of bad server certificates ----------------------------------
    for what, cert, to, reason in (
            ("from another CA", "wrong-server", TLS, "unable to get local issuer certificate"),
            ("expired", "expired-server", TLS, "certificate has expired"),
            ("self-signed", "selfsigned-server", TLS, "self-signed certificate"),
            ("for another name", "server", f"tls://{OTHER_NAME}:4740", "hostname mismatch")):
        c = start_collector(d, work, "c-" + cert, cert)
        e = start_exporter(d, work, "exporter-to-" + cert, "client", to=to)
        ok = e.wait_for("retrying")
        send(2)
        time.sleep(0.3)
        e.stop()
        _, lines, cerr = c.stop()
        line = [x for x in e.text().splitlines() if "retrying" in x]
        check(ok and reason in line[0], f"server certificate {what}: the exporter refuses it, saying {reason!r}: "
                                        f"{line[0] if line else e.text()!r}")
        check(stat(e.text(), "connects") == 0, f"server certificate {what}: no connection counted")
        check(not lines and stats(cerr).get("records") == 0, f"server certificate {what}: nothing reaches it")


def main():
    require_ioam_netns(S)
    if not shutil.which("openssl"):
        skip("the openssl command is missing")
    with tempfile.TemporaryDirectory(prefix="co-tls-netns-") as d:
        os.chmod(d, 0o755)  # the exporter runs as nobody after subscribing
        work = os.path.join(d, "certs")
        os.mkdir(work)
        Certs(work, server_names=f"DNS:{NAME},IP:{COLL}").make_all()
        try:
            setup()
            run(d, work)
        except RuntimeError as ex:
            check(False, str(ex))
        finally:
            teardown()
    return finish("collector/tls_netns")


if __name__ == "__main__":
    sys.exit(main())

"""IPFIX over TLS (RFC 7011 11) with independent peers, certificates made
here with the openssl command:
- the collector's server side (--listen-tls) against `openssl s_client`:
  a valid client certificate is decoded and its subject named in the
  statistics; wrong-CA, expired, self-signed and missing client certificates
  and TLS 1.1 are refused with a log line and counted, and good traffic is
  still decoded afterwards;
- the client side of exporters/common/tls.hpp (tls_client) against
  `openssl s_server -Verify`: valid; server certificate from another CA,
  expired, self-signed or for another name; our certificate refused; TLS 1.1;
- that client sending IPFIX to the collector: decoded; expired: refused by both.
Usage: tls.py COLLECTOR TLS_CLIENT"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from common import Certs, Collector, check, failures, finish, free_ports, good_message, skip, stats

collector, tls_client = sys.argv[1], sys.argv[2]
PORT_SERVER, PORT_CLIENT = free_ports([socket.SOCK_STREAM] * 2)

if not shutil.which("openssl"):
    skip("the openssl command is missing")

work = tempfile.mkdtemp(prefix="co-tls-")


certs = Certs(work)
certs.make_all()


# IPFIX to send: 3 messages of 4 records (12 records) per connection.
payload = b"".join(good_message(seq=i * 4, first_event=1 + i * 4, n=4) for i in range(3))
with open(os.path.join(work, "msgs.ipfix"), "wb") as f:
    f.write(payload)

# ---- the collector's server side, s_client as the exporter -----------------------
c = Collector(collector, ["--listen-tls", f"127.0.0.1:{PORT_SERVER}", "--tls-cert", f"{work}/server.pem",
                          "--tls-key", f"{work}/server.key", "--tls-ca", f"{work}/ca.pem"], work)
check(c.wait_listening("listening on TLS"), "collector listens on TLS")


def s_client(cert=None, extra=()):
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{PORT_SERVER}", "-CAfile", "ca.pem",
           "-verify_return_error", "-quiet", "-no_ign_eof", *extra]
    if cert:
        cmd += ["-cert", cert + ".pem", "-key", cert + ".key"]
    with open(os.path.join(work, "msgs.ipfix"), "rb") as f:
        p = subprocess.run(cmd, cwd=work, stdin=f, capture_output=True, timeout=30)
    time.sleep(0.3)
    return p


p = s_client("client")
check(c.wait_records(12), f"valid client certificate: 12 records decoded (have {len(c.lines())})")
refusals = 0
for name, cert, extra, reason in (
        ("wrong CA", "wrong", (), "unable to get local issuer certificate"),
        ("expired", "expired", (), "certificate has expired"),
        ("self-signed", "selfsigned", (), "self-signed certificate"),
        ("missing", None, (), "did not return a certificate"),
        ("TLS 1.1", "client", ("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"), "unsupported protocol")):
    before = len(c.lines())
    s_client(cert, extra)
    refusals += 1
    err = c.stderr()
    st = c.dump_stats()
    check(st.get("tls_refused") == refusals, f"{name}: refused and counted (tls_refused={st.get('tls_refused')})")
    lines = [x for x in err.splitlines() if "refused" in x and "TLS" in x]
    check(len(lines) == refusals and reason in lines[-1],
          f"{name}: a clear log line naming '{reason}': {lines[-1] if lines else None!r}")
    check(len(c.lines()) == before, f"{name}: nothing decoded from the refused peer")
p = s_client("client")
check(c.wait_records(24), f"valid certificate after the refusals: decoded again (have {len(c.lines())} of 24)")
rc, lines, err = c.stop()
st = stats(err)
check(rc == 0, f"collector exit status 0 (got {rc})")
check(st.get("records") == 24 and st.get("connections") == 7,
      f"stats: records=24 connections=7 (got {st.get('records')}, {st.get('connections')})")
peer = [x for x in err.splitlines() if "tls peer" in x]
peer = peer[-1] if peer else ""
check("CN=exporter-1,O=ioam-ipfix" in peer and "connections=2" in peer and "messages=6" in peer
      and "records=24" in peer, f"the peer's certificate subject named in the statistics: {peer!r}")
check(any("TLS" in x and "connected, peer \"CN=exporter-1" in x for x in err.splitlines()),
      "connection log names the peer's subject and protocol")

# ---- our client side, s_server as the collector -----------------------------------


def s_server(cert, extra=()):
    cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{PORT_CLIENT}", "-cert", cert + ".pem", "-key",
           cert + ".key", "-CAfile", "ca.pem", "-Verify", "2", "-verify_return_error", "-naccept", "1",
           "-quiet", *extra]
    # stdin stays open: s_server ends the session at the end of its input.
    p = subprocess.Popen(cmd, cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.4)
    return p


def client(cert="client", name="", text="hello ioam"):
    cmd = [tls_client, "127.0.0.1", str(PORT_CLIENT), os.path.join(work, "ca.pem"), os.path.join(work, cert + ".pem"),
           os.path.join(work, cert + ".key")]
    if name or text:
        cmd += [name, text]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def server_done(p):
    try:
        out, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return out.decode(errors="replace"), err.decode(errors="replace")


srv = s_server("server")
r = client(text="hello ioam 1")
out, _ = server_done(srv)
check(r.returncode == 0 and "established CN=localhost" in r.stdout and "hello ioam 1" in out,
      f"client: valid certificates, handshake and data reach s_server ({r.stdout.strip()!r})")
for what, cert, name, extra, reason in (
        ("server certificate from another CA", "wrong-server", "", (), "unable to get local issuer certificate"),
        ("expired server certificate", "expired-server", "", (), "certificate has expired"),
        ("self-signed server certificate", "selfsigned-server", "", (), "self-signed certificate"),
        ("server name mismatch", "server", "collector.example", (), "hostname mismatch"),
        ("TLS 1.1 server", "server", "", ("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"), "protocol")):
    srv = s_server(cert, extra)
    r = client(name=name, text="must not arrive")
    out, _ = server_done(srv)
    check(r.returncode == 1 and reason in r.stdout and "must not arrive" not in out,
          f"client: {what} refused ({r.stdout.strip()!r})")
srv = s_server("server")
r = client(cert="wrong", text="must not arrive")
out, serr = server_done(srv)
check(r.returncode == 1 and "failed:" in r.stdout and "must not arrive" not in out,
      f"client: s_server refuses our certificate from another CA, the client sees it ({r.stdout.strip()!r})")

# ---- our client side against our server side ------------------------------------
c = Collector(collector, ["--listen-tls", f"127.0.0.1:{PORT_SERVER}", "--tls-cert", f"{work}/server.pem",
                          "--tls-key", f"{work}/server.key", "--tls-ca", f"{work}/ca.pem"], work, "ours")
check(c.wait_listening("listening on TLS"), "ours: collector listens on TLS")
r = subprocess.run([tls_client, "127.0.0.1", str(PORT_SERVER), f"{work}/ca.pem", f"{work}/client.pem",
                    f"{work}/client.key", "", "@" + os.path.join(work, "msgs.ipfix")],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 0 and c.wait_records(12), f"ours: tls.hpp's client to the collector, 12 records ({r.stdout!r})")
r = subprocess.run([tls_client, "127.0.0.1", str(PORT_SERVER), f"{work}/ca.pem", f"{work}/expired.pem",
                    f"{work}/expired.key", "", "@" + os.path.join(work, "msgs.ipfix")],
                   capture_output=True, text=True, timeout=30)
rc, lines, err = c.stop()
st = stats(err)
check(r.returncode == 1 and "failed:" in r.stdout and len(lines) == 12 and st.get("tls_refused") == 1 and
      "certificate has expired" in err,
      f"ours: an expired client certificate refused on both sides ({r.stdout.strip()!r})")

if not failures:
    shutil.rmtree(work, ignore_errors=True)
else:
    print("certificates and logs kept in", work)
sys.exit(finish("collector/tls"))

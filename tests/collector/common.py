"""What the collector tests share: IPFIX messages built field by field
(RFC 7011 3), the collector started and measured from /proc (RSS, CPU), its
statistics parsed, and named checks (tests/e2e/checks.py)."""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from checks import Proc, check, failures, finish, free_ports, skip  # noqa: E402,F401

PEN = 10383
# Our exporter's trace layout (docs/exporter.md): PEN 10383 id, length.
OURS = [(21, 4), (22, 1), (23, 1), (24, 4), (25, 1), (0, 2), (1, 1), (2, 4), (5, 4)]
# The seed Go exporter's template 293: ids 0-16 (DESIGN.md), 24/56-bit fields reduced.
SEED = [(0, 2), (1, 1), (2, 3), (3, 2), (4, 2), (5, 4), (6, 4), (7, 4), (8, 4), (9, 7), (10, 4), (11, 4),
        (12, 8), (13, 3), (14, 0xFFFF), (15, 4), (16, 4)]


def sanitized(exe):
    """True for an AddressSanitizer build (fuzz/run-sanitizers.sh): its
    shadow memory and quarantine, and its slower code, need wider bounds."""
    with open(exe, "rb") as f:
        return b"__asan_init" in f.read()


def header(body_len, seq, odid, export_time=None):
    t = int(time.time()) if export_time is None else export_time
    return struct.pack("!HHIII", 10, 16 + body_len, t, seq, odid)


def template_set(tid, fields, set_id=2):
    rec = struct.pack("!HH", tid, len(fields))
    for ie, length in fields:
        rec += struct.pack("!HHI", 0x8000 | ie, length, PEN)
    return struct.pack("!HH", set_id, 4 + len(rec)) + rec


def withdraw_all_set(count=1):
    """`count` withdraw-all records (template id 2, field count 0)."""
    recs = struct.pack("!HH", 2, 0) * count
    return struct.pack("!HH", 2, 4 + len(recs)) + recs


def data_set(tid, records):
    body = b"".join(records)
    return struct.pack("!HH", tid, 4 + len(body)) + body


def message(sets, seq=0, odid=1):
    body = b"".join(sets)
    return header(len(body), seq, odid) + body


def our_record(event, node_id, index=0, count=1, ns=7, hop=63, ts=1000):
    """One record of the OURS layout: trace type bits 0 and 2."""
    tt = (1 << 23) | (1 << 21)
    return struct.pack("!IBBIBHBII", tt, index, count, event, 0, ns, hop, node_id, ts)


def good_message(seq, first_event, n, odid=1, tid=300, node_base=1000):
    """A template and n records (events first_event..): seq advances by n."""
    recs = [our_record(first_event + i, node_base + i) for i in range(n)]
    return message([template_set(tid, OURS), data_set(tid, recs)], seq=seq, odid=odid)


class Collector(Proc):
    """ioam-collector started with args (JSON lines on stdout to a file);
    RSS and CPU read from /proc; stop() returns (rc, stdout lines, stderr)."""

    def __init__(self, exe, args, workdir, name="collector", prefix=()):
        super().__init__([exe, "--json", *args], workdir, name, prefix, out=".out")
        self.ticks = os.sysconf("SC_CLK_TCK")

    def wait_listening(self, what, timeout=10):
        return self.wait_for(what, timeout)

    def stderr(self):
        return self.text()

    def lines(self):
        with open(self.out_path, "r", errors="replace") as f:
            return [line for line in f.read().splitlines() if line.strip()]

    def rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def cpu_s(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks

    def fds(self):
        return len(os.listdir(f"/proc/{self.p.pid}/fd"))

    def dump_stats(self):
        """SIGUSR1: the statistics now (parsed)."""
        before = self.stderr().count("ioam-collector stats: messages=")
        self.p.send_signal(signal.SIGUSR1)
        end = time.time() + 5
        while time.time() < end and self.stderr().count("ioam-collector stats: messages=") == before:
            time.sleep(0.05)
        return stats(self.stderr())

    def wait_records(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if len(self.lines()) >= n:
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        rc = super().stop()
        return rc, self.lines(), self.stderr()


def run_measured(cmd, out, err, started=None):
    """Runs cmd to its end with stdout/stderr to the open files out/err;
    started(pid) (if given) runs once it is up. Returns (exit status, peak RSS
    in KB, CPU s). The peak is VmHWM sampled while it runs: wait4's ru_maxrss
    would count the Python process the child was forked from."""
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    feeder, failed = None, []
    if started:  # (in a thread: sampling goes on while it feeds, as the child may end soon after)
        def feed():
            try:
                started(p.pid)
            except BaseException as e:  # raised again below, in the caller's thread
                failed.append(e)
        feeder = threading.Thread(target=feed)
        feeder.start()
    hwm = 0
    while True:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                hwm = max([hwm] + [int(x.split()[1]) for x in f if x.startswith("VmHWM:")])
        except OSError:
            pass
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            if feeder:
                feeder.join()
                if failed:
                    raise failed[0]
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, hwm, ru.ru_utime + ru.ru_stime
        time.sleep(0.01)


def stats(err):
    """The last value of every key=value of the 'ioam-collector stats:' lines."""
    out = {}
    for line in err.splitlines():
        if line.startswith("ioam-collector stats:") and "tls peer" not in line:
            for k, v in re.findall(r"(\w+)=(\d+)", line):
                out[k] = int(v)
    return out


def udp_sender(port, host="127.0.0.1", sport=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, sport))
    s.connect((host, port))
    return s


def send_good_udp(port, n_messages=20, per=5, odid=1, seq0=0, first_event=1):
    s = udp_sender(port)
    seq = seq0
    for i in range(n_messages):
        s.send(good_message(seq, first_event + i * per, per, odid=odid))
        seq += per
    s.close()
    return n_messages * per


class Certs:
    """Certificates made with the openssl command in `work`: a CA and another
    CA; server (names `server_names`: localhost, 127.0.0.1 by default) and
    client ("CN=exporter-1") signed by the CA; wrong(-server) signed by the
    other CA; selfsigned(-server); expired(-server) signed by the CA, valid
    in January 2020 only."""
    CLIENT_EXT = "extendedKeyUsage=clientAuth\n"

    def __init__(self, work, server_names="DNS:localhost,IP:127.0.0.1"):
        self.work = work
        self.server_names = server_names
        self.SERVER_EXT = f"subjectAltName={server_names}\nextendedKeyUsage=serverAuth\n"

    def run(self, cmd, **kw):
        return subprocess.run(cmd, cwd=self.work, capture_output=True, text=True, timeout=30, **kw)

    def req(self, name, subj):
        self.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", name + ".key", "-out", name + ".csr", "-subj", subj]).check_returncode()

    def self_signed(self, name, subj, ext=None):
        extra = ["-addext", ext] if ext else []
        self.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", name + ".key", "-out", name + ".pem", "-days", "3", "-subj", subj,
                  *extra]).check_returncode()

    def sign(self, name, by, ext):
        with open(os.path.join(self.work, name + ".ext"), "w") as f:
            f.write(ext)
        self.run(["openssl", "x509", "-req", "-in", name + ".csr", "-CA", by + ".pem", "-CAkey", by + ".key",
                  "-CAcreateserial", "-days", "3", "-out", name + ".pem", "-extfile",
                  name + ".ext"]).check_returncode()

    def make_all(self):
        w = self.work
        self.self_signed("ca", "/CN=co test CA")
        self.self_signed("other-ca", "/CN=co other CA")
        self.req("server", "/CN=localhost")
        self.sign("server", "ca", self.SERVER_EXT)
        self.req("client", "/O=ioam-ipfix/CN=exporter-1")
        self.sign("client", "ca", self.CLIENT_EXT)
        self.req("wrong", "/CN=exporter-wrong-ca")
        self.sign("wrong", "other-ca", self.CLIENT_EXT)
        self.req("wrong-server", "/CN=localhost")
        self.sign("wrong-server", "other-ca", self.SERVER_EXT)
        # Self-signed: its own issuer, not the CA.
        self.self_signed("selfsigned", "/CN=localhost", self.CLIENT_EXT.strip())
        self.self_signed("selfsigned-server", "/CN=localhost", self.SERVER_EXT.split("\n")[0])
        # Expired, signed by the right CA: `openssl ca` sets the validity dates.
        os.makedirs(os.path.join(w, "db"), exist_ok=True)
        open(os.path.join(w, "db", "index.txt"), "w").close()
        with open(os.path.join(w, "db", "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(w, "ca.cnf"), "w") as f:
            f.write(f"""[ca]
default_ca = co
[co]
database = {w}/db/index.txt
new_certs_dir = {w}/db
serial = {w}/db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[client]
extendedKeyUsage = clientAuth
[server]
subjectAltName = {self.server_names}
extendedKeyUsage = serverAuth
""")
        for n, ext in (("expired", "client"), ("expired-server", "server")):
            self.req(n, "/CN=localhost" if ext == "server" else "/CN=exporter-expired")
            self.run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in",
                      n + ".csr", "-out", n + ".pem", "-startdate", "20200101000000Z", "-enddate",
                      "20200201000000Z", "-extensions", ext, "-notext"]).check_returncode()

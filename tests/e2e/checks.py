"""What the end-to-end test scripts share: named checks that collect their
failures, the skip exit (77), shell commands in and out of network
namespaces, free loopback ports, the preconditions of the real-kernel tests, programs started
with their output in files, and pmacct's nfacctd as an oracle."""
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def finish(name):
    """The exit status: 1 if any check failed."""
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"{name}: all checks passed")
    return 0


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def free_ports(kinds):
    """Loopback ports the kernel hands out as free, one per socket kind
    (socket.SOCK_STREAM or SOCK_DGRAM), all distinct (held open until all are
    chosen). Tests on the host's loopback take these rather than fixed ports:
    fixed ones lie in the ephemeral range, where an outgoing connection of a
    parallel test can hold one."""
    socks = []
    try:
        for kind in kinds:
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def sh(cmd, check_rc=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{cmd}: {p.stderr.strip()}")
    return p


def ns(n, cmd, check_rc=True):
    return sh(f"ip netns exec {n} {cmd}", check_rc)


def require_ioam_netns(probe):
    """Skips unless root can create network namespaces (trying one named
    `probe`) on a kernel with IPv6 IOAM and an iproute2 with `ip ioam`."""
    if os.geteuid() != 0:
        skip("needs root (network namespaces, CAP_NET_ADMIN for ioam6_events)")
    if not os.path.exists("/proc/sys/net/ipv6/ioam6_id"):
        skip("this kernel has no IPv6 IOAM (net.ipv6.ioam6_id missing)")
    if not shutil.which("ip") or sh("ip ioam namespace show", check_rc=False).returncode != 0:
        skip("iproute2 with 'ip ioam' is missing")
    if sh(f"ip netns add {probe}", check_rc=False).returncode != 0:
        skip("cannot create network namespaces")
    sh(f"ip netns del {probe}")


def wait_subscribed(exporters, timeout=15):
    """Waits until every ioam-exporter in `exporters` ({name: (Popen, stderr
    file)}) says it subscribed to the IOAM6 events; skips when one cannot
    subscribe (exit 3), raises when one exits otherwise or time runs out."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        texts = {k: open(f).read() for k, (p, f) in exporters.items()}
        for k, (p, f) in exporters.items():
            if p.poll() is not None:
                if p.returncode == 3:
                    skip(f"exporter cannot subscribe: {texts[k].strip()}")
                raise RuntimeError(f"exporter {k} exited {p.returncode}: {texts[k]}")
        if all("subscribed" in t for t in texts.values()):
            return
        time.sleep(0.05)
    raise RuntimeError("exporters did not subscribe in time")


_started = []


@atexit.register
def _stop_left_over():
    """A test that raised leaves none of its programs running."""
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


class Proc:
    """A program started with its stderr in DIR/NAME.err and, with `out` (a
    suffix such as ".jsonl"), its stdout in DIR/NAME+out (else discarded);
    `prefix` runs it elsewhere (["ip", "netns", "exec", N])."""

    def __init__(self, argv, d, name, prefix=(), out=None):
        self.err_path = os.path.join(d, name + ".err")
        self.out_path = os.path.join(d, name + out) if out else None
        self.err = open(self.err_path, "wb")
        self.out = open(self.out_path, "wb") if out else subprocess.DEVNULL
        self.p = subprocess.Popen(list(prefix) + list(argv), stdout=self.out, stderr=self.err)
        _started.append(self.p)

    def text(self):
        """Its stderr so far."""
        with open(self.err_path, "r", errors="replace") as f:
            return f.read()

    def wait_for(self, what, timeout=10):
        """True once `what` is in its stderr; False if it exits or time runs out first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if what in self.text():
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self, timeout=15):
        """SIGTERM (SIGKILL after `timeout` s); the exit status."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.err.close()
        if self.out_path:
            self.out.close()
        return rc


@contextlib.contextmanager
def nfacctd(nfacctd_exe, d, name, port, primitives, aggregate):
    """pmacct's nfacctd on 127.0.0.1:port with the primitives file and the
    print plugin writing JSON to DIR/NAME.json, ready for data when the
    block starts; yields (JSON path, log path). It and its plugin process
    are killed when the block ends."""
    out, log, conf = (os.path.join(d, f"{name}.{x}") for x in ("json", "log", "conf"))
    with open(conf, "w") as f:
        f.write(f"daemonize: false\nnfacctd_ip: 127.0.0.1\nnfacctd_port: {port}\n"
                f"aggregate_primitives: {os.path.abspath(primitives)}\nplugins: print\n"
                f"aggregate: {', '.join(aggregate)}\nprint_output: json\nprint_output_file: {out}\n"
                "print_output_file_append: true\nprint_refresh_time: 1\n")
    with open(log, "w") as lf:
        p = subprocess.Popen([nfacctd_exe, "-f", conf], stdout=lf, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and "waiting for NetFlow/IPFIX data" not in open(log).read():
            time.sleep(0.1)
        check("waiting for NetFlow/IPFIX data" in open(log).read(), f"{name}: nfacctd started ({log})")
        time.sleep(2)  # the core says it is waiting before its print plugin is ready for data
        yield out, log
    finally:
        os.killpg(p.pid, signal.SIGTERM)  # nfacctd and its plugin process, started here
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()

"""ioam-collector end to end (issue 11, "Performance"): IOAM node records
from a file, TCP and UDP to JSON lines (stdout to /dev/null), in records per
second of the collector's own CPU time (utime + stime: per core, the sender
not counted); peak RSS for a large file and for 1,000 exporters with 10
templates each; a burst of 100,000 UDP messages from one exporter with the
receive buffer at the exporter's netlink default (32 MiB), with and without
the collector's queue (--udp-queue), and the kernel's socket drop count
(SO_MEMINFO) as the collector reports it.
Usage: collector_throughput.py COLLECTOR [--quick] [--burst]   (prints a markdown table;
--burst: only the UDP bursts)"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "collector"))
from common import OURS, data_set, free_ports, message, our_record, run_measured, stats, template_set  # noqa: E402

collector = sys.argv[1]
quick = "--quick" in sys.argv
burst_only = "--burst" in sys.argv
work = tempfile.mkdtemp(prefix="co-bench-")
PER = 60  # records per message: 60 x 22 + 20 = 1340 octets, under a 1472-octet MTU payload
UDP, TCP = free_ports([socket.SOCK_DGRAM, socket.SOCK_STREAM])


def messages(n, odid=1, tid=300):
    """Our exporter's stream: the template first, then n messages of PER records."""
    out = [message([template_set(tid, OURS)], seq=0, odid=odid)]
    seq = 0
    for i in range(n):
        recs = [our_record(seq + j, 1000 + j % 7, j % 4, 4) for j in range(PER)]
        out.append(message([data_set(tid, recs)], seq=seq, odid=odid))
        seq += PER
    return out


def run(args, feed=None):
    """The collector to completion; feed() (if any) runs once it listens.
    Returns (stats, CPU s, peak RSS KB, wall s)."""
    err_path = os.path.join(work, "err")

    def started(_pid):
        while feed and "listening" not in open(err_path).read():
            time.sleep(0.02)
        if feed:
            feed()

    t0 = time.time()
    with open(os.devnull, "wb") as out, open(err_path, "wb") as err:
        _, hwm, cpu = run_measured([collector, "--json", *args], out, err, started)
    return stats(open(err_path).read()), cpu, hwm, time.time() - t0


rows = []


def row(what, st, cpu, hwm, note=""):
    recs = st.get("records", 0)
    rate = recs / cpu if cpu > 0 else 0
    rows.append((what, recs, f"{rate / 1e6:.2f} M" if recs else "", f"{hwm / 1024:.1f} MB", note))


n_file = 20000 if quick else 100000
msgs = messages(n_file)
path = os.path.join(work, "stream.ipfix")
with open(path, "wb") as f:
    f.write(b"".join(msgs))
size = os.path.getsize(path)
if not burst_only:
    st, cpu, hwm, _ = run([path])
    row("file -> JSON", st, cpu, hwm, f"{size >> 20} MB file")

n_tcp = len(msgs) - 1


def tcp_feed():
    s = socket.create_connection(("127.0.0.1", TCP))
    s.sendall(b"".join(msgs[: n_tcp + 1]))
    s.close()


if not burst_only:
    st, cpu, hwm, _ = run(["--listen-tcp", f"127.0.0.1:{TCP}", "--count", str(n_tcp * PER), "--idle-exit", "5"],
                          tcp_feed)
    row("TCP -> JSON", st, cpu, hwm)

n_udp = 100000 if not quick else 20000
udp_msgs = messages(n_udp)


udp_rate = [0.0]


def udp_feed(rate=0):
    """All messages from one socket; rate (messages/s) paced in batches of 500."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", UDP))
    t0 = time.time()
    for i, m in enumerate(udp_msgs):
        s.send(m)
        if rate and i % 500 == 499:
            ahead = (i + 1) / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
    udp_rate[0] = len(udp_msgs) / (time.time() - t0)
    s.close()


# The sender (one socket, no pacing) outruns any single-core reader, so what
# is not lost is what the buffers hold: the socket's at the exporter's size
# and at a size that holds the whole burst (forced when root), and the
# collector's queue (--udp-queue: default 16 MiB, none, 32 MiB).
for rcvbuf, rate, queue in ((32 << 20, 0, None), (32 << 20, 0, 0), (32 << 20, 0, 32 << 20), (512 << 20, 0, None),
                            (32 << 20, 50000, None)):
    qargs = [] if queue is None else ["--udp-queue", str(queue)]
    st, cpu, hwm, wall = run(["--listen", f"127.0.0.1:{UDP}", "--count", str(n_udp * PER), "--idle-exit", "2",
                              "--rcvbuf", str(rcvbuf), *qargs], lambda: udp_feed(rate))
    row(f"UDP burst of {n_udp:,} messages" + (f" at {rate:,}/s" if rate else "") + " -> JSON", st, cpu, hwm,
        f"--rcvbuf {rcvbuf >> 20} MiB (kernel: {st.get('udp_rcvbuf', 0) >> 20} MiB), --udp-queue "
        f"{st.get('udp_queue', 0) >> 20} MiB (peak {st.get('udp_queue_peak_messages', 0):,} messages), socket drops "
        f"{st.get('udp_socket_drops')}, {st.get('messages', 0):,} of {n_udp + 1:,} messages received, "
        f"sent at {udp_rate[0]:,.0f}/s")

# 1,000 exporters (source addresses) with 10 templates each, then a record on each.
exporters = 1000


def many_feed():
    for k in range(exporters):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((f"127.3.{k >> 8}.{k & 255}", 0))
        sets = [template_set(300 + t, OURS) for t in range(10)]
        sets.append(data_set(300 + k % 10, [our_record(k, k)]))
        s.sendto(message(sets, seq=0, odid=k), ("127.0.0.1", UDP))
        s.close()


if not burst_only:
    st, cpu, hwm, _ = run(["--listen", f"127.0.0.1:{UDP}", "--count", str(exporters), "--idle-exit", "2"], many_feed)
    row("1,000 exporters x 10 templates (UDP)", st, cpu, hwm, f"{st.get('templates', 0):,} templates learnt")

print("| input | records | records/s per core | peak RSS | notes |")
print("|---|---:|---:|---:|---|")
for r in rows:
    print("| " + " | ".join(str(x) for x in r) + " |")
subprocess.run(["rm", "-rf", work])

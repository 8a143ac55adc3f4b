"""ioam-flow-exporter on the real kernel: two network namespaces joined by a
veth pair (offloads off, so every skb is one wire packet), the exporter's tc
programs on A's end. Known traffic (a TCP transfer of known size, UDP, ping,
ping6, IPv6 with an IOAM hop-by-hop option from ioam-inject, an idle flow, a
long flow crossing active timeouts, two senders pinned to both CPUs on one
flow) is captured on the same interface; the exported records, decoded by
nfdump (from nfcapd), ipfixDump (the IPFIX file) and tshark (the live UDP
stream), must give exactly the captured packets and octets per flow, and the
kernel's interface counters in total. Then: the map full (evictions with
flowEndReason lackOfResources, no packet lost), the seed layout (templates
256-259, 60-octet records), IPFIX over TCP (flows kept in the backlog until
the collector comes up) and over TLS (openssl s_server, mutual
authentication), decoded by ipfixDump to the exact counts, a killed run's
filters replaced and not stacked, and the documented exit codes.

usage: run_flow.py EXPORTER IOAM_INJECT UNIT.in DEFAULTS
The systemd unit: systemd-analyze verify, and the exporter run with the
unit's user and capabilities (CAP_BPF, CAP_NET_ADMIN) and defaults' options.
Exits 77 (skip) without root, network namespaces, tc BPF or the tools."""
import collections
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip, sh, ns  # noqa: E402

EXPORTER = os.path.abspath(sys.argv[1])
INJECT = os.path.abspath(sys.argv[2])
UNIT_IN, DEFAULTS = sys.argv[3], sys.argv[4]
A, B = "fl-flow-a", "fl-flow-b"
IF_A, IF_B = "fe-fa", "fe-fb"
V4A, V4B, V6A, V6B = "10.47.3.1", "10.47.3.2", "fd47:3::1", "fd47:3::2"
NF_PORT, TCP_PORT, UDP_PORT, IOAM_PORT, LONG_PORT, PAR_PORT, IDLE_PORT, FRAG_PORT = (
    47301, 47310, 47311, 47312, 47313, 47314, 47315, 47316)
STREAM_PORT, COLLECTOR_TCP_PORT, COLLECTOR_TLS_PORT = 47317, 47320, 47321
TCP_BYTES = 1_000_000
DEADLINE = time.monotonic() + 240  # the whole test; meson's timeout is above it


def need(tool):
    if not shutil.which(tool):
        skip(f"{tool} is missing (tests/install-deps.sh installs it)")


def cleanup():
    for n in (A, B):
        sh(f"ip netns del {n}", check_rc=False)


def setup():
    cleanup()
    sh(f"ip netns add {A}")
    sh(f"ip netns add {B}")
    for n in (A, B):
        ns(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
              "net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0")
        ns(n, "ip link set lo up")
    sh(f"ip link add {IF_A} netns {A} type veth peer name {IF_B} netns {B}")
    ns(A, f"ip addr add {V4A}/24 dev {IF_A}")
    ns(B, f"ip addr add {V4B}/24 dev {IF_B}")
    ns(A, f"ip addr add {V6A}/64 dev {IF_A} nodad")
    ns(B, f"ip addr add {V6B}/64 dev {IF_B} nodad")
    for n, i in ((A, IF_A), (B, IF_B)):
        # One skb = one wire packet; the GSO path is documented, not tested here.
        ns(n, f"ethtool -K {i} tso off gso off gro off tx-checksumming off", check_rc=False)
        ns(n, f"ip link set {i} up")
    # Permanent neighbours: no ARP or neighbour discovery at the edges of a measurement.
    mac = {n: ns(n, f"cat /sys/class/net/{i}/address").stdout.strip() for n, i in ((A, IF_A), (B, IF_B))}
    for n, i, peer4, peer6, m in ((A, IF_A, V4B, V6B, mac[B]), (B, IF_B, V4A, V6A, mac[A])):
        ns(n, f"ip neigh replace {peer4} lladdr {m} nud permanent dev {i}")
        ns(n, f"ip neigh replace {peer6} lladdr {m} nud permanent dev {i}")


def popen_ns(n, args, **kw):
    return subprocess.Popen(["ip", "netns", "exec", n] + args, **kw)


def start_exporter(args, out=subprocess.DEVNULL, keep=True):
    err = tempfile.NamedTemporaryFile("w+", delete=False, prefix="fe-err-")
    p = popen_ns(A, [EXPORTER, "-i", IF_A] + (["--keep-privileges"] if keep else []) + args, stdout=out, stderr=err)
    # Attached once it says so for both hooks.
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and p.poll() is None:
        if open(err.name).read().count("attached to") >= 2:
            break
        time.sleep(0.05)
    return p, err.name


def stop(p, timeout=20):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def py_ns(n, code, background=False):
    args = ["python3", "-c", code]
    if background:
        return popen_ns(n, args)
    return subprocess.run(["ip", "netns", "exec", n] + args, capture_output=True, text=True, timeout=60)


TCP_SERVER = f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('{V4B}', {TCP_PORT})); s.listen(1)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.close(); print(n)
"""

TCP_CLIENT = f"""
import socket, time
c = socket.create_connection(('{V4B}', {TCP_PORT}), timeout=10)
c.sendall(b'x' * {TCP_BYTES}); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
"""


def udp_sender(dst, port, count, size, sport, interval=0.0, family="AF_INET", reuse=False, ttl=0):
    return f"""
import socket, time
s = socket.socket(socket.{family}, socket.SOCK_DGRAM)
{"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)" if reuse else ""}
{f"s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, {ttl})" if ttl else ""}
s.bind(('', {sport}))
for i in range({count}):
    s.sendto(b'u' * {size}, ('{dst}', {port}))
    if {interval}: time.sleep({interval})
"""


def wait_file(path, t=15):
    t0 = time.monotonic()
    while time.monotonic() - t0 < t and not os.path.exists(path):
        time.sleep(0.1)
    time.sleep(0.5)


# ---- what the capture says ---------------------------------------------------------
def capture_flows(pcap, mac_a, window):
    """(direction, ip version, proto, src, dst, sport, dport-or-icmp) -> [packets, octets], for the
    frames captured within `window` (wall-clock seconds: the exporter's run)."""
    fields = ["eth.src", "ip.src", "ip.dst", "ip.len", "ip.proto", "ipv6.src", "ipv6.dst", "ipv6.plen",
              "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type", "icmp.code",
              "icmpv6.type", "icmpv6.code", "frame.time_epoch", "ipv6.fraghdr.nxt"]
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                        "-Y", "ip or ipv6", "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]
                       + sum((["-e", f] for f in fields), []), capture_output=True, text=True, timeout=120)
    flows = collections.defaultdict(lambda: [0, 0])
    for line in r.stdout.splitlines():
        v = dict(zip(fields, line.split("|")))
        if not window[0] <= float(v["frame.time_epoch"]) <= window[1]:
            continue
        d = "egress" if v["eth.src"] == mac_a else "ingress"
        if v["ip.src"]:
            ver, src, dst, length = 4, v["ip.src"], v["ip.dst"], int(v["ip.len"])
        else:
            ver, src, dst, length = 6, v["ipv6.src"], v["ipv6.dst"], int(v["ipv6.plen"]) + 40
        # ICMP first: an ICMP error quotes the packet it answers (tshark decodes its UDP/TCP header).
        if v["icmp.type"]:
            key = (1, 0, int(v["icmp.type"]) * 256 + int(v["icmp.code"]))
        elif v["icmpv6.type"]:
            key = (58, 0, int(v["icmpv6.type"]) * 256 + int(v["icmpv6.code"]))
        elif v["tcp.srcport"]:
            key = (6, int(v["tcp.srcport"]), int(v["tcp.dstport"]))
        elif v["udp.srcport"]:
            key = (17, int(v["udp.srcport"]), int(v["udp.dstport"]))
        else:
            key = (int(v["ip.proto"] or v["ipv6.fraghdr.nxt"] or -1), 0, 0)
        f = flows[(d, ver, key[0], src, dst, key[1], key[2])]
        f[0] += 1
        f[1] += length
    return flows


def nfdump_flows(nfdir):
    files = [os.path.join(nfdir, f) for f in os.listdir(nfdir) if f.startswith("nfcapd.")]
    flows = collections.defaultdict(lambda: [0, 0, 0])
    for f in files:
        r = subprocess.run(["nfdump", "-r", f, "-o", "csv", "-q"], capture_output=True, text=True, timeout=60)
        for line in r.stdout.splitlines():
            c = line.split(",")
            if len(c) < 23 or not c[0][:1].isdigit():
                continue
            proto = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58}.get(c[7].strip(), None)
            if proto is None:
                proto = int(c[7]) if c[7].strip().isdigit() else -1
            ver = 6 if ":" in c[3] else 4
            d = "egress" if c[22].strip() == "1" else "ingress"
            sp, dp = int(c[5]), int(c[6])  # ICMP: 0, type * 256 + code
            k = (d, ver, proto, c[3], c[4], sp, dp)
            flows[k][0] += int(c[11])
            flows[k][1] += int(c[12])
            flows[k][2] += 1
    return flows


def ipfixdump_records(path):
    r = subprocess.run(["ipfixDump", "--in", path], capture_output=True, text=True, timeout=60)
    recs = []
    for block in r.stdout.split("--- data record")[1:]:
        rec = {}
        for m in re.finditer(r"\((\d+)\)\s+(\w+) : (.*)", block):
            rec[m.group(2)] = m.group(3).strip()
        m = re.search(r"tid:\s+(\d+)", block)
        rec["_tid"] = int(m.group(1)) if m else 0
        recs.append(rec)
    return r.returncode, recs


def ipfix_sets(path):
    """(set id, set body length, message length) of every set in an IPFIX file."""
    data = open(path, "rb").read()
    out, off = [], 0
    while off + 16 <= len(data):
        mlen = struct.unpack_from("!H", data, off + 2)[0]
        s = off + 16
        while s + 4 <= off + mlen:
            sid, slen = struct.unpack_from("!HH", data, s)
            out.append((sid, slen - 4, data[s + 4:s + slen]))
            s += slen
        off += mlen
    return out


def norm6(a):
    import ipaddress
    return str(ipaddress.ip_address(a))


def exporter_flows(recs):
    """ipfixDump records (standard layout) -> key -> [packets, octets, records], plus the records."""
    flows = collections.defaultdict(lambda: [0, 0, 0])
    for r in recs:
        if r["_tid"] not in (300, 301):
            continue
        ver = int(r["ipVersion"])
        proto = int(r["protocolIdentifier"])
        src = r.get("sourceIPv4Address") or norm6(r.get("sourceIPv6Address"))
        dst = r.get("destinationIPv4Address") or norm6(r.get("destinationIPv6Address"))
        icmp = int(r.get("icmpTypeCodeIPv4") or r.get("icmpTypeCodeIPv6") or 0)
        sp, dp = int(r["sourceTransportPort"]), int(r["destinationTransportPort"])
        if proto in (1, 58):
            sp, dp = 0, icmp
        d = "egress" if r["flowDirection"] == "1" else "ingress"
        k = (d, ver, proto, src, dst, sp, dp)
        flows[k][0] += int(r["packetDeltaCount"])
        flows[k][1] += int(r["octetDeltaCount"])
        flows[k][2] += 1
    return flows


def main():
    if os.geteuid() != 0:
        skip("needs root (network namespaces, CAP_BPF, CAP_NET_ADMIN)")
    for t in ("ip", "tc", "ethtool", "ping", "tshark", "nfcapd", "nfdump", "ipfixDump", "taskset", "openssl", "bpftool"):
        need(t)
    if sh(f"ip netns add {A}-probe", check_rc=False).returncode != 0:
        skip("cannot create network namespaces")
    sh(f"ip netns del {A}-probe")
    work = tempfile.mkdtemp(prefix="fe-flow-")
    try:
        setup()
        # Can this kernel run tc BPF at all? The exporter itself says (exit 3 or 7).
        p = subprocess.run(["ip", "netns", "exec", A, "timeout", "--preserve-status", "-s", "INT", "2", EXPORTER, "-i", IF_A,
                            "--keep-privileges"], capture_output=True, text=True, timeout=30)
        if p.returncode in (3, 7):
            skip(f"this kernel cannot run the tc programs: {p.stderr.strip()[-300:]}")
        check(p.returncode == 0, f"a 2 s run exits 0 ({p.returncode}: {p.stderr.strip()[-200:]})")
        traffic_test(work)
        map_full_test(work)
        seed_layout_test(work)
        stream_test(work)
        console_test(work)
        stale_and_exit_codes_test(work)
        systemd_unit_test(work)
    finally:
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return finish("flow_kernel")


def traffic_test(work):
    mac_a = ns(A, f"cat /sys/class/net/{IF_A}/address").stdout.strip()
    ifindex_a = int(ns(A, f"cat /sys/class/net/{IF_A}/ifindex").stdout.strip())
    nfdir = os.path.join(work, "nf")
    os.mkdir(nfdir)
    ipfix_file = os.path.join(work, "flows.ipfix")
    pcap = os.path.join(work, "wire.pcapng")
    live = os.path.join(work, "live.pcapng")
    nfcapd = popen_ns(A, ["nfcapd", "-b", "127.0.0.1", "-p", str(NF_PORT), "-w", nfdir, "-t", "3600"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wire = popen_ns(A, ["tshark", "-q", "-B", "64", "-i", IF_A, "-w", pcap], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lo = popen_ns(A, ["tshark", "-q", "-i", "lo", "-f", f"udp port {NF_PORT}", "-w", live],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_file(pcap)
    wait_file(live)
    t_start = time.time()
    exp, errf = start_exporter(["--file", ipfix_file, "-c", f"127.0.0.1:{NF_PORT}", "--active-timeout", "2",
                                "--idle-timeout", "1", "--scan-ms", "200"])
    counters0 = link_counters(A, IF_A)
    check(exp.poll() is None, "the exporter runs: " + open(errf).read().strip()[-300:])
    # The idle flow first: three UDP datagrams, then nothing for > 1 s.
    py_ns(A, udp_sender(V4B, IDLE_PORT, 3, 100, IDLE_PORT))
    # TCP, known size.
    server = py_ns(B, TCP_SERVER, background=True)
    # Connect once it listens (a refused attempt would be a flow of its own;
    # a fixed pause was too short on a loaded machine).
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15 and f":{TCP_PORT}" not in ns(B, f"ss -Hltn sport = :{TCP_PORT}").stdout:
        time.sleep(0.05)
    cl = py_ns(A, TCP_CLIENT)
    check(cl.returncode == 0, f"TCP client sent {TCP_BYTES} octets ({cl.stderr.strip()[-200:]})")
    server.wait(timeout=30)
    # UDP, ping, ping6.
    py_ns(A, udp_sender(V4B, UDP_PORT, 100, 200, UDP_PORT))
    ns(A, f"ping -c 5 -i 0.05 -s 100 {V4B}", check_rc=False)
    ns(A, f"ping -6 -c 5 -i 0.05 -s 100 {V6B}", check_rc=False)
    # Fragments (IPv4 and IPv6, 4000-octet datagrams at MTU 1500): the first
    # fragment counts in the UDP flow, the others (no UDP header) in the
    # port-less one; the capture comparison below checks both.
    py_ns(A, udp_sender(V4B, FRAG_PORT, 3, 4000, FRAG_PORT))
    py_ns(A, udp_sender(V6B, FRAG_PORT, 3, 4000, FRAG_PORT, family="AF_INET6"))
    # IPv6 with a hop-by-hop IOAM option.
    inj = ns(A, f"{INJECT} --dst {V6B} --port {IOAM_PORT} --count 20", check_rc=False)
    check(inj.returncode == 0, f"ioam-inject sent 20 datagrams ({inj.stderr.strip()[-200:]})")
    # Two senders pinned to CPU 0 and CPU 1 on one flow (same socket address,
    # SO_REUSEPORT), with TTLs 64 and 50: each CPU has its own slot of the
    # flow (per-CPU map), and the record must fold both.
    ncpu = os.cpu_count() or 1
    senders = [subprocess.Popen(["ip", "netns", "exec", A, "taskset", "-c", str(c % ncpu), "python3", "-c",
                                 udp_sender(V4B, PAR_PORT, 20000, 64, PAR_PORT, reuse=True, ttl=64 if c == 0 else 50)])
               for c in (0, 1)]
    # A long flow: a datagram every 0.1 s for 5 s crosses two 2 s active timeouts.
    long_flow = py_ns(A, udp_sender(V4B, LONG_PORT, 50, 300, LONG_PORT, interval=0.1), background=True)
    for s in senders:
        s.wait(timeout=90)
    long_flow.wait(timeout=30)
    time.sleep(2)  # every flow's idle timeout passes while the exporter runs
    counters1 = link_counters(A, IF_A)
    rc = stop(exp)
    t_stop = time.time()
    check(rc == 0, f"exporter exit status 0 after SIGINT ({rc})")
    time.sleep(1)
    for p in (wire, lo):
        stop(p)
    stop(nfcapd)
    err = open(errf).read()
    print(err.strip()[-600:])
    m = re.search(r"stats \(exit\): packets=(\d+) not_ip=(\d+)", err)
    check(m is not None, "the exit statistics line")
    check(m and int(m.group(2)) == len(capture_non_ip(pcap, (t_start, t_stop))), "not_ip counts the captured non-IP frames")
    check("lost_packets=0 " in err and "spilled_packets=0 " in err, "no packet lost or spilled")
    rel = re.search(r"slots_released=(\d+)", err)
    check(rel and int(rel.group(1)) > 0,
          f"the flows counted in the slot table, the idle ones' slots released ({rel and rel.group(0)})")

    want = capture_flows(pcap, mac_a, (t_start, t_stop))
    _, recs = ipfixdump_records(ipfix_file)
    got = exporter_flows(recs)
    check(len(want) > 0 and len(got) > 0, f"flows in the capture ({len(want)}) and in the file ({len(got)})")
    missing = {k: v for k, v in want.items() if got.get(k, [0, 0])[:2] != v}
    extra = {k: v for k, v in got.items() if k not in want}
    check(not missing, f"ipfixDump: every captured flow with its exact packets and octets (wrong: {list(missing.items())[:4]} "
                       f"exported: {[got.get(k) for k in list(missing)[:4]]})")
    check(not extra, f"ipfixDump: no flow that is not in the capture ({list(extra.items())[:4]})")

    stats = [r for r in recs if r["_tid"] == 4000]
    data_recs = sum(1 for r in recs if r["_tid"] in (300, 301))
    check(len(stats) == 1 and int(stats[0].get("exportedFlowRecordTotalCount", -1)) == data_recs
          and int(stats[0].get("observedFlowTotalCount", -1)) == int(m.group(1)) if m else False,
          f"the statistics options record at exit: {data_recs} records exported, the programs' packet count "
          f"({stats[0] if stats else None})")

    def flow(d, ver, proto, src, dst, sp, dp):
        return got.get((d, ver, proto, src, dst, sp, dp), [0, 0, 0])

    tcp = [v for k, v in got.items() if k[0] == "egress" and k[2] == 6 and k[6] == TCP_PORT]
    check(len(tcp) == 1 and tcp[0][1] >= TCP_BYTES and tcp[0][1] < TCP_BYTES * 1.1,
          f"TCP: one egress flow carrying the {TCP_BYTES} octets and their headers ({tcp})")
    check(flow("egress", 4, 17, V4A, V4B, UDP_PORT, UDP_PORT)[:2] == [100, 100 * 228], "UDP: 100 packets, 22800 octets")
    check(flow("egress", 4, 1, V4A, V4B, 0, 0x0800)[:2] == [5, 5 * 128], "ping: 5 echo requests (type 8), 128 octets each")
    check(flow("ingress", 4, 1, V4B, V4A, 0, 0)[:2] == [5, 5 * 128], "ping: 5 echo replies (type 0) at ingress")
    check(flow("egress", 6, 58, V6A, V6B, 0, 128 * 256)[:2] == [5, 5 * 148], "ping6: 5 echo requests (type 128), 148 octets")
    check(flow("ingress", 6, 58, V6B, V6A, 0, 129 * 256)[:2] == [5, 5 * 148], "ping6: 5 echo replies (type 129)")
    ioam = [v for k, v in got.items() if k[1] == 6 and k[2] == 17 and k[6] == IOAM_PORT]
    check(len(ioam) == 1 and ioam[0][0] == 20, f"IPv6 + hop-by-hop IOAM: the UDP flow behind the extension header, 20 packets ({ioam})")
    check(flow("egress", 4, 17, V4A, V4B, FRAG_PORT, FRAG_PORT)[0] == 3
          and flow("egress", 4, 17, V4A, V4B, 0, 0)[0] == 6, "IPv4 fragments: 3 first fragments, 6 others without ports")
    check(flow("egress", 6, 17, V6A, V6B, FRAG_PORT, FRAG_PORT)[0] == 3
          and flow("egress", 6, 17, V6A, V6B, 0, 0)[0] == 6,
          "IPv6 fragments (fragment header walked): 3 first fragments, 6 others without ports")
    par = flow("egress", 4, 17, V4A, V4B, PAR_PORT, PAR_PORT)
    check(par[:2] == [40000, 40000 * 92], f"two CPUs on one flow: 40000 packets, 3680000 octets, none lost ({par})")
    lf = flow("egress", 4, 17, V4A, V4B, LONG_PORT, LONG_PORT)
    check(lf[:2] == [50, 50 * 328] and lf[2] >= 3, f"long flow: 50 packets in {lf[2]} records (>= 3: deltas)")
    reasons = collections.Counter()
    for r in recs:
        if r["_tid"] == 300 and r.get("destinationTransportPort") == str(LONG_PORT):
            reasons[r["flowEndReason"]] += 1
        if r["_tid"] == 300 and r.get("destinationTransportPort") == str(IDLE_PORT):
            check(r["flowEndReason"] == "1", f"the idle flow ends with flowEndReason idleTimeout (1): {r['flowEndReason']}")
            check(int(r["packetDeltaCount"]) == 3, "the idle flow's 3 packets")
    # After the last active-timeout record the flow ends idle; a record only if packets came since.
    check(reasons["2"] >= 2 and set(reasons) <= {"1", "2"},
          f"long flow: active-timeout records (flowEndReason 2), perhaps a last idle one (1): {dict(reasons)}")
    flags = 0
    for r in recs:
        if r["_tid"] == 300 and r.get("destinationTransportPort") == str(TCP_PORT):
            flags |= int(r["tcpControlBits"])
    check(flags & 0x13 == 0x13, f"TCP: SYN, ACK and FIN among the client's flags (0x{flags:x})")
    check(all(r["ingressInterface"] == str(ifindex_a) for r in recs if r.get("flowDirection") == "0"),
          "ingress records: ingressInterface is the interface")
    check(all(r["egressInterface"] == str(ifindex_a) for r in recs if r.get("flowDirection") == "1"),
          "egress records: egressInterface is the interface (the seed wrote 0)")
    check(all(r["minimumTTL"] == "64" and r["maximumTTL"] == "64" for r in recs
              if r.get("destinationTransportPort") == str(UDP_PORT)), "UDP: TTL 64")
    par_recs = [r for r in recs if r.get("destinationTransportPort") == str(PAR_PORT)]
    check(par_recs and min(int(r["minimumTTL"]) for r in par_recs) == 50
          and max(int(r["maximumTTL"]) for r in par_recs) == 64,
          f"two CPUs on one flow, TTLs 64 and 50: minimumTTL 50, maximumTTL 64 "
          f"({[(r['minimumTTL'], r['maximumTTL']) for r in par_recs]})")
    check(all(r["flowEndMilliseconds"] >= r["flowStartMilliseconds"] for r in recs if r["_tid"] in (300, 301)),
          "every record: flowEndMilliseconds >= flowStartMilliseconds")

    # The kernel's interface counters: every packet, IP octets plus 14 per Ethernet header.
    dp = (counters1[0] - counters0[0]) + (counters1[2] - counters0[2])
    db = (counters1[1] - counters0[1]) + (counters1[3] - counters0[3])
    ip_pk = sum(v[0] for v in got.values())
    ip_oct = sum(v[1] for v in got.values())
    non_ip_frames = capture_non_ip(pcap, (t_start, t_stop))
    non_ip = len(non_ip_frames)
    check(ip_pk + non_ip == dp, f"interface counters: {dp} packets = {ip_pk} in flows + {non_ip} not IP")
    check(ip_oct + 14 * ip_pk + sum(v[1] for v in non_ip_frames) == db,
          f"interface counters: {db} octets = flows' {ip_oct} + Ethernet headers + non-IP frames")

    # nfdump, from nfcapd's file: the same per flow.
    nf = nfdump_flows(nfdir)
    bad = {k: (v[:2], nf.get(k, [0, 0])[:2]) for k, v in got.items() if nf.get(k, [0, 0])[:2] != v[:2]}
    check(len(nf) > 0 and not bad, f"nfdump: the same flows, packets and octets ({len(nf)} flows; differ: {list(bad.items())[:4]})")
    # tshark on the live UDP stream: the same totals.
    r = subprocess.run(["tshark", "-n", "-r", live, "-d", f"udp.port=={NF_PORT},cflow", "-T", "fields",
                        "-E", "occurrence=a", "-E", "aggregator=,", "-e", "cflow.packets", "-e", "cflow.octets"],
                       capture_output=True, text=True, timeout=120)
    pk = oc = 0
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) == 2 and cols[0]:
            pk += sum(int(x) for x in cols[0].split(","))
            oc += sum(int(x) for x in cols[1].split(","))
    check(pk == ip_pk and oc == ip_oct, f"tshark (live stream): {pk} packets, {oc} octets = the file's {ip_pk}, {ip_oct}")


def systemd_unit_test(work):
    import shlex
    unit = open(UNIT_IN).read().replace("@bindir@", os.path.dirname(EXPORTER)).replace("@sysconfdir@", "/etc")
    if shutil.which("systemd-analyze"):
        path = os.path.join(work, "ioam-flow-exporter.service")
        open(path, "w").write(unit)
        v = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
        warnings = [l for l in (v.stdout + v.stderr).splitlines() if "ioam-flow-exporter.service" in l]
        check(v.returncode == 0 and not warnings, f"systemd-analyze verify: {v.returncode} {warnings}")
    else:
        print("systemd-analyze missing: the unit file is not verified")
    setting = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    caps = setting.get("AmbientCapabilities", "").split()
    check(caps == ["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"], f"the unit grants CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN only ({caps})")
    m = re.search(r'^IOAM_FLOW_EXPORTER_OPTS="(.*)"$', open(DEFAULTS).read(), re.M)
    check(m is not None, "the defaults file sets IOAM_FLOW_EXPORTER_OPTS")
    opts = [IF_A if o == "eth0" else o for o in shlex.split(m.group(1))] if m else []
    errf = os.path.join(work, "unit.err")
    p = subprocess.Popen(["ip", "netns", "exec", A, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "--no-new-privs", "--inh-caps=+bpf,+perfmon,+net_admin", "--ambient-caps=+bpf,+perfmon,+net_admin",
                          "--bounding-set=-all,+bpf,+perfmon,+net_admin", EXPORTER] + opts,
                         stdout=subprocess.DEVNULL, stderr=open(errf, "w"))
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and p.poll() is None and open(errf).read().count("attached to") < 2:
        time.sleep(0.05)
    check(p.poll() is None, f"runs under the unit's user and capabilities ({open(errf).read().strip()[-300:]})")
    if p.poll() is None:
        status = open(f"/proc/{p.pid}/status").read()
        eff = int(re.search(r"^CapEff:\s*([0-9a-f]+)", status, re.M).group(1), 16)
        check(eff == (1 << 39) | (1 << 38) | (1 << 12), f"effective capabilities: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (0x{eff:x})")
        check(our_filters()[0] == 2, "attached on both hooks")
        p.terminate()
    check(p.wait(timeout=20) == 0, f"SIGTERM: clean exit ({p.returncode})")
    check(our_filters()[0] == 0, "SIGTERM: detached")


def capture_non_ip(pcap, window):
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "not ip and not ipv6", "-T", "fields", "-e", "frame.len",
                        "-e", "frame.time_epoch"], capture_output=True, text=True, timeout=60)
    return [(1, int(n)) for n, t in (line.split("\t") for line in r.stdout.splitlines())
            if window[0] <= float(t) <= window[1]]


def link_counters(n, i):
    s = json.loads(ns(n, f"ip -j -s link show {i}").stdout)[0]["stats64"]
    return s["rx"]["packets"], s["rx"]["bytes"], s["tx"]["packets"], s["tx"]["bytes"]


def map_full_test(work):
    f = os.path.join(work, "full.ipfix")
    exp, errf = start_exporter(["--file", f, "--map-size", "16", "--scan-ms", "100", "--direction", "egress"])
    code = f"""
import socket, time
for i in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 40000 + i))
    for j in range(3): s.sendto(b'm' * 50, ('{V4B}', 47320))
    s.close()
    if i % 10 == 9: time.sleep(0.05)
"""
    py_ns(A, code)
    time.sleep(0.5)
    stop(exp)
    err = open(errf).read()
    _, recs = ipfixdump_records(f)
    mine = [r for r in recs if r.get("destinationTransportPort") == "47320"]
    pk = sum(int(r["packetDeltaCount"]) for r in mine)
    oc = sum(int(r["octetDeltaCount"]) for r in mine)
    evicted = [r for r in recs if r.get("flowEndReason") == "5"]
    m = re.search(r"evicted=(\d+)", err)
    check(pk == 300 and oc == 300 * 78, f"map of 16 flows, 100 flows sent: all 300 packets, 23400 octets exported ({pk}, {oc})")
    check(len({r['sourceTransportPort'] for r in mine}) == 100, "map full: every one of the 100 flows has records")
    check(len(evicted) > 0 and m and int(m.group(1)) == len(evicted),
          f"map full: {len(evicted)} records with flowEndReason lackOfResources (5), as counted ({m.group(0) if m else '?'})")
    check("lost_packets=0 " in err, "map full: nothing lost (" + err.strip().splitlines()[-1][-200:] + ")")
    m = re.search(r"slots_released=(\d+)", err)
    check(m and int(m.group(1)) > 0, f"map full: the evicted flows' slots released ({m and m.group(0)})")


def seed_layout_test(work):
    f = os.path.join(work, "seed.ipfix")
    exp, errf = start_exporter(["--file", f, "--layout", "seed", "--scan-ms", "100"])
    server = py_ns(B, TCP_SERVER, background=True)
    time.sleep(0.3)
    py_ns(A, TCP_CLIENT.replace(str(TCP_BYTES), "10000"))
    server.wait(timeout=30)
    ns(A, f"ping -c 3 -i 0.05 {V4B}", check_rc=False)
    py_ns(A, udp_sender(V4B, UDP_PORT, 5, 10, UDP_PORT))
    stop(exp)
    err = open(errf).read()
    sets = ipfix_sets(f)
    tids = set()
    for sid, _, body in sets:
        if sid == 2:
            off = 0
            while off + 4 <= len(body):
                tid, cnt = struct.unpack_from("!HH", body, off)
                tids.add((tid, cnt))
                off += 4 + 4 * cnt
    check(tids == {(256, 18), (257, 18), (258, 18), (259, 18)},
          f"seed layout: templates 256-259 (TCP/ICMP x ingress/egress), 18 fields each: {sorted(tids)}")
    data = [(sid, n) for sid, n, _ in sets if 256 <= sid <= 259]
    check(data and all(n % 60 == 0 for _, n in data), f"seed layout: 60-octet records ({data[:6]})")
    _, recs = ipfixdump_records(f)
    icmp_eg = [r for r in recs if r["_tid"] == 259]
    check(icmp_eg and int(icmp_eg[0]["icmpTypeCodeIPv4"]) == 0x0800 and int(icmp_eg[0]["packetDeltaCount"]) == 3,
          f"seed layout: ICMP egress echo requests, icmpTypeCodeIPv4 2048 (type * 256 + code), 3 packets")
    seed = [r for r in recs if 256 <= r["_tid"] <= 259]
    check(seed and all(int(r.get("flowEndSysUpTime", -1)) >= int(r.get("flowStartSysUpTime", 0)) > 0 for r in seed),
          f"seed layout: flowStart/EndSysUpTime set ({seed[:1]})")
    m = re.search(r"layout_skipped=(\d+)", err)
    check(m and int(m.group(1)) >= 1, f"seed layout: the UDP flow has no template there and is counted as skipped ({m.group(0) if m else '?'})")


def make_certs(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate (TLS test)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True, timeout=30).check_returncode()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3", "-subj", "/CN=fe ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        run("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", f"/CN={name}")
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "3",
            "-out", name + ".pem", "-extfile", name + ".ext")


TCP_RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', {port})); s.listen(1)
c, _ = s.accept()
with open({path!r}, 'wb') as f:
    while True:
        d = c.recv(65536)
        if not d: break
        f.write(d)
"""


def stream_test(work):
    """-c tcp:// and -c tls:// next to --file: the same flows, exact counts.
    The TCP collector comes up only after the flows ended (idle timeout 1 s),
    so they wait in the output's backlog and go out on the first connection."""
    d = os.path.join(work, "stream")
    os.mkdir(d)
    make_certs(d)
    tcp_out, tls_out, f = (os.path.join(d, n) for n in ("tcp.ipfix", "tls.ipfix", "file.ipfix"))
    with open(tls_out, "wb") as out:
        tls_srv = popen_ns(A, ["openssl", "s_server", "-accept", f"127.0.0.1:{COLLECTOR_TLS_PORT}", "-cert", "server.pem",
                               "-key", "server.key", "-CAfile", "ca.pem", "-Verify", "1", "-verify_return_error",
                               "-quiet", "-naccept", "1"], cwd=d, stdin=subprocess.PIPE, stdout=out,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    exp, errf = start_exporter(["-c", f"tcp://127.0.0.1:{COLLECTOR_TCP_PORT}", "-c", f"tls://127.0.0.1:{COLLECTOR_TLS_PORT}",
                                "--tls-ca", f"{d}/ca.pem", "--tls-cert", f"{d}/client.pem", "--tls-key",
                                f"{d}/client.key", "--file", f, "--scan-ms", "100", "--idle-timeout", "1"])
    ns(A, f"ping -c 4 -i 0.05 {V4B}", check_rc=False)
    py_ns(A, udp_sender(V4B, STREAM_PORT, 7, 50, STREAM_PORT))
    time.sleep(2.0)  # the flows end (idle) and wait for the TCP collector
    rx = py_ns(A, TCP_RECEIVER.format(port=COLLECTOR_TCP_PORT, path=tcp_out), background=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and f"{COLLECTOR_TCP_PORT}: connected" not in open(errf).read():
        time.sleep(0.1)
    rc = stop(exp)
    rx.wait(timeout=20)
    tls_srv.terminate()
    tls_srv.wait(timeout=10)
    err = open(errf).read()
    check(rc == 0, f"TCP/TLS: the exporter exits 0 ({rc}: {err.strip()[-300:]})")
    m = re.search(rf"tcp://127.0.0.1:{COLLECTOR_TCP_PORT}: connected \((\d+) inputs waiting\)", err)
    check(m and int(m.group(1)) >= 3, f"TCP: the ended flows waited in the backlog for the collector ({m and m.group(0)})")
    want = {("egress", 4, 1, V4A, V4B, 0, 0x0800): (4, 4 * 84), ("ingress", 4, 1, V4B, V4A, 0, 0): (4, 4 * 84),
            ("egress", 4, 17, V4A, V4B, STREAM_PORT, STREAM_PORT): (7, 7 * (50 + 28))}
    per = {}
    for name, path in (("TCP", tcp_out), ("TLS", tls_out), ("file", f)):
        code, recs = ipfixdump_records(path)
        flows = exporter_flows(recs)
        per[name] = {k: v[:2] for k, v in flows.items()}
        got = {k: tuple(flows[k][:2]) for k in want}
        check(code == 0 and got == want, f"{name}: ipfixDump decodes the flows with exact counts ({got})")
        per[name + " records"] = sum(v[2] for v in flows.values())
        stats = [r for r in recs if r["_tid"] == 4000]
        check(stats, f"{name}: the statistics record came too ({len(stats)})")
    check(per["TCP"] == per["file"] and per["TLS"] == per["file"],
          "TCP and TLS carry the same flows and counts as the file")
    for spec in (f"tcp://127.0.0.1:{COLLECTOR_TCP_PORT}", f"tls://127.0.0.1:{COLLECTOR_TLS_PORT}"):
        line = next((l for l in err.splitlines() if "stats (exit)" in l and f"tcp {spec}:" in l), "")
        st = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        n = per[("TCP" if spec.startswith("tcp") else "TLS") + " records"]
        check(st.get("connects") == 1 and st.get("flows_dropped") == 0 and st.get("records_lost") == 0
              and st.get("records", 0) >= n > 0,
              f"{spec}: one connection, nothing dropped or lost, {n} flow records sent (+ statistics): {line}")


def console_test(work):
    path = os.path.join(work, "console.json")
    with open(path, "w") as out:
        exp, _ = start_exporter(["--console=json", "--scan-ms", "100"], out=out)
        ns(A, f"ping -c 2 -i 0.05 {V4B}", check_rc=False)
        stop(exp)
    lines = open(path).read().splitlines()
    try:
        recs = [json.loads(line) for line in lines]
    except ValueError as e:
        recs = []
        check(False, f"console JSON: every line parses ({e})")
    echo = [r for r in recs if r.get("protocol") == 1 and r.get("icmp_type_code") == 0x0800]
    check(len(echo) == 1 and echo[0]["packets"] == 2 and echo[0]["octets"] == 168 and echo[0]["direction"] == "egress"
          and echo[0]["end_reason"] == "forced", f"console JSON: the echo requests, 2 packets, 168 octets ({echo})")


def our_filters():
    out = ""
    for d in ("ingress", "egress"):
        out += ns(A, f"tc filter show dev {IF_A} {d}", check_rc=False).stdout
    return len(re.findall(r"handle 0x10a3", out)), out


def slot_hash_key():
    """The slot hash key in the .rodata of the program on A's ingress hook (bpftool)."""
    m = re.search(r"handle 0x10a3 [^\n]*? id (\d+)", ns(A, f"tc filter show dev {IF_A} ingress", check_rc=False).stdout)
    if not m:
        return None
    maps = json.loads(sh(f"bpftool prog show id {m.group(1)} -j").stdout)["map_ids"]
    for i in maps:
        if json.loads(sh(f"bpftool map show id {i} -j").stdout)["name"].endswith(".rodata"):
            rodata = json.loads(sh(f"bpftool map dump id {i} -j").stdout)[0]["formatted"]["value"][".rodata"]
            return next((v["slot_hash_key"] for v in rodata if "slot_hash_key" in v), None)
    return None


def stale_and_exit_codes_test(work):
    exp, _ = start_exporter([], keep=False)
    check(our_filters()[0] == 2, "running: one filter on each hook")
    key1 = slot_hash_key()
    time.sleep(0.3)
    status = open(f"/proc/{exp.pid}/status").read() if exp.poll() is None else ""
    uid = re.search(r"^Uid:\s*(\d+)", status, re.M)
    eff = re.search(r"^CapEff:\s*([0-9a-f]+)", status, re.M)
    check(uid and uid.group(1) == "65534" and eff and int(eff.group(1), 16) == (1 << 39) | (1 << 12),
          f"started as root: runs as nobody with CAP_BPF and CAP_NET_ADMIN only ({uid and uid.group(1)}, "
          f"{eff and eff.group(1)})")
    prm = re.search(r"^CapPrm:\s*([0-9a-f]+)", status, re.M)
    check(prm and int(prm.group(1), 16) == (1 << 39) | (1 << 12),
          f"... and permits only these two ({prm and prm.group(1)})")
    exp.kill()  # SIGKILL: no detach
    exp.wait()
    check(our_filters()[0] == 2, "a killed run leaves its filters behind")
    exp, _ = start_exporter([])
    n, out = our_filters()
    check(n == 2, f"the next run replaces them, not stacks ({n} filters)")
    key2 = slot_hash_key()
    check(key1 and key2 and len(key1) == 2 and key1 != key2 and key1 != [0, 0] and key2 != [0, 0],
          f"each load has its own random slot hash key ({key1}, {key2})")
    check(stop(exp) == 0, "... and exits 0")
    check(our_filters()[0] == 0, "after a clean exit no filter of ours is left")

    def rc(args, pre=""):
        return subprocess.run(f"ip netns exec {A} {pre} {EXPORTER} {args}", shell=True, capture_output=True,
                              text=True, timeout=30)
    r = rc("-i fe-nonexistent")
    check(r.returncode == 5 and "fe-nonexistent" in r.stderr, f"missing interface: exit 5 ({r.returncode}: {r.stderr.strip()})")
    r = rc(f"-i {IF_A}", "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all")
    check(r.returncode == 6 and "CAP_BPF" in r.stderr, f"no privileges: exit 6 ({r.returncode}: {r.stderr.strip()})")
    r = rc(f"-i {IF_A}", "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+net_admin "
                         "--ambient-caps=+bpf,+net_admin --bounding-set=-all,+bpf,+net_admin")
    check(r.returncode == 6 and "CAP_PERFMON" in r.stderr, f"CAP_PERFMON missing: exit 6 ({r.returncode}: {r.stderr.strip()})")
    r = rc(f"-i {IF_A} --map-size 3")
    check(r.returncode == 2, f"bad option: exit 2 ({r.returncode})")
    r = rc("--idle-timeout 5")
    check(r.returncode == 2 and "interface" in r.stderr, f"no interface: exit 2 ({r.returncode})")
    ns(A, "ip link add fe-fq type veth peer name fe-fq2", check_rc=False)
    ns(A, "tc qdisc add dev fe-fq ingress", check_rc=False)
    r = rc("-i fe-fq")
    check(r.returncode == 7 and "clsact" in r.stderr, f"a classic ingress qdisc, no egress hook: exit 7 ({r.returncode}: "
                                                      f"{r.stderr.strip()[-200:]})")
    ns(A, "tc qdisc del dev fe-fq ingress", check_rc=False)
    r = subprocess.run(["ip", "netns", "exec", A, "timeout", "--preserve-status", "-s", "INT", "1", EXPORTER, "-i",
                        "fe-fq", "--direction", "ingress", "--keep-privileges"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and r.stderr.count("attached") == 1, f"--direction ingress: one hook ({r.returncode})")
    ns(A, "ip tuntap add fe-tun mode tun", check_rc=False)
    r = rc("-i fe-tun")
    check(r.returncode == 5 and "Ethernet" in r.stderr, f"a tun device: exit 5 ({r.returncode}: {r.stderr.strip()})")


if __name__ == "__main__":
    t0 = time.monotonic()
    try:
        status = main()
    finally:
        print(f"flow_kernel: {time.monotonic() - t0:.1f} s")
    sys.exit(status)

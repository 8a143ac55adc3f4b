#!/usr/bin/env python3
"""tshark with exporters/wireshark/ioam.lua, on real and made-up input.

usage: run_dissector.py MODE IOAM.LUA [PROGRAMS...]

  events    MAKE_REPLAY: the replay test's netlink pcap (TRACE and per-field
            DEX events from the netlink encoder, and malformed events between
            them): every value of every valid event as make_replay expects it,
            expert errors on exactly the malformed events.
  malformed IPv6 packets with broken DEX options written here: each gets its
            expert message, none a Lua error.
  mutants   MAKE_REPLAY DATA_DIR: a few thousand frames made by flipping,
            cutting and growing the recorded events and the qemu DEX packets
            (fixed seed): tshark decodes them all without a Lua error.
  pads      DEX events with the 64-bit pad attributes (33, and an empty 7)
            decode as the same event without them.
  dexnode   DATA_DIR: the kernel series' DEX event shape (one node-data attribute)
            and its event statistics reply, written here; broken ones
            flagged.
  series    REC_FILE: the kernel series' events recorded under qemu by the
            kernel branch (tests/data/netlink/kernel-6.12-series.rec).
  standdown a Wireshark that knows ipv6.opt.ioam.dex.ns (a stub script plays
            it): ioam.lua registers no DEX field and leaves DEX packets alone;
            loaded twice, it loads once.
  qemu      DATA_DIR: pcaps of the kernel DEX series under qemu (tests/wireshark/
            qemu/make-pcaps.sh): kernel-inserted DEX options at the receiver
            and the DEX events of the transit and receiving nodes, recorded
            by ioam-exporter, every field as the harness configured it.
  netns     IOAM_INJECT IOAM_EXPORTER: ioam-inject's DEX and trace options
            through a real IOAM node in network namespaces, captured with
            dumpcap, and that node's events recorded by ioam-exporter
            --record (root and an IOAM kernel; 77 otherwise).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip, sh, ns, require_ioam_netns  # noqa: E402

LUA = None
DATA = None


def tshark(pcap, *args, extra_lua=()):
    cmd = ["tshark", "-n"]
    for s in extra_lua:
        cmd += ["-X", f"lua_script:{s}"]
    cmd += ["-X", f"lua_script:{LUA}", "-r", pcap, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check("Lua Error" not in p.stdout + p.stderr and "ioam.lua:" not in p.stdout,
          f"tshark {' '.join(args[:3])}...: no Lua error")
    return p.stdout


def fields(pcap, names, filt=None, extra_lua=(), decode_as=()):
    """One dict per frame: name -> list of values (all occurrences);
    decode_as: tshark -d rules."""
    args = ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t"]
    for d in decode_as:
        args += ["-d", d]
    for n in names:
        args += ["-e", n]
    if filt:
        args += ["-Y", filt]
    rows = []
    for line in tshark(pcap, *args, extra_lua=extra_lua).splitlines():
        cols = line.split("\t")
        rows.append({n: (c.split("|") if c else []) for n, c in zip(names, cols + [""] * len(names))})
    return rows


def num(v):
    return int(v, 0)


def need_tshark():
    if not shutil.which("tshark"):
        skip("tshark is missing (apt-get install tshark)")


# ---------------------------------------------------------------- events
NODE_FIELDS = [  # make_replay's JSON key -> the dissector's field
    ("node_id", "ioam6_genl.node.id"), ("ingress_id", "ioam6_genl.node.iif"),
    ("egress_id", "ioam6_genl.node.eif"), ("timestamp_seconds", "ioam6_genl.node.tss"),
    ("timestamp_fraction", "ioam6_genl.node.tsf"), ("transit_delay", "ioam6_genl.node.trdelay"),
    ("namespace_data", "ioam6_genl.node.nsdata"), ("queue_depth", "ioam6_genl.node.qdepth"),
    ("checksum_complement", "ioam6_genl.node.csum"), ("node_id_wide", "ioam6_genl.node.id_wide"),
    ("ingress_id_wide", "ioam6_genl.node.iif_wide"), ("egress_id_wide", "ioam6_genl.node.eif_wide"),
    ("namespace_data_wide", "ioam6_genl.node.nsdata_wide"),
    ("buffer_occupancy", "ioam6_genl.node.bufoccup"), ("schema_id", "ioam6_genl.node.oss.scid"),
]


def mode_events(make_replay):
    work = tempfile.mkdtemp(prefix="ec-ws-")
    pcap, exp, counts = (os.path.join(work, n) for n in ("r.pcap", "e.jsonl", "counts"))
    subprocess.run([make_replay, pcap, exp, counts], check=True)
    c = dict(kv.split("=") for kv in open(counts).read().split())
    events = {}
    for line in open(exp):
        r = json.loads(line)
        events.setdefault(r["event"], []).append(r)
    names = ["frame.number", "ioam6_genl.cmd", "ioam6_genl.ns", "ioam6_genl.type", "ioam6_genl.flowid",
             "ioam6_genl.seqnum", "ioam6_genl.nodes", "ioam6_genl.node.hlim", "ioam6_genl.node.oss.data",
             "_ws.expert.severity", "_ws.expert.message"] + [f for _, f in NODE_FIELDS]
    rows = fields(pcap, names)
    check(len(rows) == int(c["events"]) + int(c["malformed"]),
          f"{len(rows)} frames, one per event ({c['events']} valid, {c['malformed']} malformed)")
    bad = [r for r in rows if "error" in [s.lower() for s in r["_ws.expert.severity"]]
           or any(s.isdigit() and int(s) >= 0x800000 for s in r["_ws.expert.severity"])]
    check(len(bad) == int(c["malformed"]),
          f"expert errors on {len(bad)} frames, the {c['malformed']} malformed events: "
          + "; ".join(",".join(r["_ws.expert.message"]) for r in bad))
    good = [r for r in rows if r not in bad]
    check(len(good) == len(events), f"{len(good)} clean frames for {len(events)} valid events")
    for (ev, recs), r in zip(sorted(events.items()), good):
        first = recs[0]
        tag = f"event {ev} (frame {r['frame.number'][0]}, {first['option_type']})"
        is_dex = first["option_type"] == "dex"
        check(r["ioam6_genl.cmd"] == ["2" if is_dex else "1"], f"{tag}: command")
        check(r["ioam6_genl.ns"] == [str(first["namespace"])], f"{tag}: namespace {first['namespace']}")
        check([num(x) for x in r["ioam6_genl.type"]] == [first["trace_type"]],
              f"{tag}: trace type 0x{first['trace_type']:06x} (got {r['ioam6_genl.type']})")
        nodes = [x for x in recs if x.get("node_count", 1) > 0]
        if not is_dex:
            check(r["ioam6_genl.nodes"] == [str(len(nodes))], f"{tag}: {len(nodes)} nodes")
        else:
            want_f = [str(first["flow_id"])] if "flow_id" in first else []
            want_s = [str(first["sequence"])] if "sequence" in first else []
            check(r["ioam6_genl.flowid"] == want_f and r["ioam6_genl.seqnum"] == want_s,
                  f"{tag}: flow id {want_f}, sequence {want_s}")
        hl = [str(x[k]) for x in nodes for k in ("hop_limit", "hop_limit_wide") if k in x]
        check(r["ioam6_genl.node.hlim"] == hl, f"{tag}: hop limits {hl}")
        for key, f in NODE_FIELDS:
            want = [x[key] for x in nodes if key in x]
            got = [num(v) for v in r[f]]
            check(got == want, f"{tag}: {f} = {want} (got {got})")
        snaps = [x["snapshot"] for x in nodes if x.get("snapshot")]
        check([v.replace(":", "") for v in r["ioam6_genl.node.oss.data"]] == snaps, f"{tag}: snapshots {snaps}")
    shutil.rmtree(work)


# ---------------------------------------------------------------- malformed
def ipv6_udp(option_bytes, src=b"\xdb\x01" + b"\0" * 13 + b"\x01", dst=b"\xdb\x02" + b"\0" * 13 + b"\x02"):
    """An IPv6/UDP packet whose hop-by-hop header carries PadN(2) then the
    given option(s), padded to 8n with PadN."""
    body = b"\x01\x00" + option_bytes
    pad = (8 - (2 + len(body)) % 8) % 8
    if pad == 1:
        body += b"\x00"
    elif pad:
        body += bytes([1, pad - 2]) + b"\0" * (pad - 2)
    hbh = bytes([17, (2 + len(body)) // 8 - 1]) + body
    payload = b"ioam-test"
    udp = struct.pack("!HHHH", 40000, 7777, 8 + len(payload), 0) + payload
    plen = len(hbh) + len(udp)
    return struct.pack("!IHBB", 0x60000000, plen, 0, 64) + src + dst + hbh + udp


def ioam_option(opt_type, body, length=None):
    data = bytes([0, opt_type]) + body
    return bytes([0x31, len(data) if length is None else length]) + data


def dex_body(ns=123, flags=0, ext=0, ttype=0xc00000, rsv=0, tail=b""):
    return struct.pack("!HBB", ns, flags, ext) + struct.pack("!I", ttype << 8 | rsv) + tail


def write_pcap(path, packets):
    """LINKTYPE_RAW (101); (packet, caplen) pairs."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, (p, cap) in enumerate(packets):
            data = p[:cap]
            f.write(struct.pack("<IIII", 1700000000, i, len(data), len(p)))
            f.write(data)


def mode_malformed():
    cases = [  # name, packet, caplen or None, expert text expected (substring), fields expected
        ("valid, flow id and sequence", ipv6_udp(ioam_option(4, dex_body(ext=0xc0, tail=struct.pack("!II", 7, 9))))
         , None, None, {"ipv6.opt.ioam.dex.extflag.flowid": ["7"], "ipv6.opt.ioam.dex.extflag.seqnum": ["9"]}),
        ("header cut to 6 octets", ipv6_udp(ioam_option(4, dex_body()[:6])), None,
         "DEX option truncated: 6 octets, the header needs 8", {"ipv6.opt.ioam.dex.ns": ["123"]}),
        ("sequence number announced, not there", ipv6_udp(ioam_option(4, dex_body(ext=0xc0, tail=struct.pack("!I", 7)))),
         None, "extension flag 0x40 announces 4 octets", {"ipv6.opt.ioam.dex.extflag.flowid": ["7"]}),
        ("4 octets no flag announces", ipv6_udp(ioam_option(4, dex_body(tail=b"\1\2\3\4"))), None,
         "4 octets after the fields the extension flags announce", {"ipv6.opt.ioam.dex.trailing": ["01020304"]}),
        ("unassigned extension flag 0x20", ipv6_udp(ioam_option(4, dex_body(ext=0x20, tail=b"\0\0\0\5"))), None,
         "Field of unassigned extension flag 0x20", {"ipv6.opt.ioam.dex.extflags": ["0x20"]}),
        ("flags and reserved trace-type bits", ipv6_udp(ioam_option(4, dex_body(flags=0x80, ttype=0xc00001))), None,
         "Trace Type: unassigned or reserved bits set", {"ipv6.opt.ioam.dex.flags": ["128"]}),
        ("capture cut inside the option", ipv6_udp(ioam_option(4, dex_body(ext=0xc0, tail=struct.pack("!II", 7, 9)))),
         40 + 2 + 2 + 4 + 10, "DEX option truncated", {"ipv6.opt.ioam.dex.ns": ["123"]}),
        ("option length 1 (Option-Type outside the option)", ipv6_udp(ioam_option(4, b"", length=1) + b"\0"), None,
         "DEX option truncated", {}),
        ("two DEX options", ipv6_udp(ioam_option(4, dex_body(ns=1)) + ioam_option(4, dex_body(ns=2))), None, None,
         {"ipv6.opt.ioam.dex.ns": ["1", "2"]}),
    ]
    work = tempfile.mkdtemp(prefix="ec-ws-")
    pcap = os.path.join(work, "m.pcap")
    write_pcap(pcap, [(p, cap or len(p)) for _, p, cap, _, _ in cases])
    names = ["frame.number", "_ws.expert.message", "ipv6.opt.ioam.dex.ns", "ipv6.opt.ioam.dex.flags",
             "ipv6.opt.ioam.dex.extflags", "ipv6.opt.ioam.dex.extflag.flowid", "ipv6.opt.ioam.dex.extflag.seqnum",
             "ipv6.opt.ioam.dex.trailing"]
    rows = fields(pcap, names)
    check(len(rows) == len(cases), f"{len(rows)} frames decoded of {len(cases)}")
    for (name, _, _, want_msg, want_fields), r in zip(cases, rows):
        msgs = r["_ws.expert.message"]
        ours = [m for m in msgs if "DEX" in m or "extension" in m or "Trace Type" in m]
        if want_msg:
            check(any(want_msg in m for m in msgs), f"{name}: expert '{want_msg}' (got {msgs})")
        else:
            check(not ours, f"{name}: no DEX expert message (got {ours})")
        for f, v in want_fields.items():
            check(r[f] == v, f"{name}: {f} = {v} (got {r[f]})")
    shutil.rmtree(work)


# ---------------------------------------------------------------- mutants
def read_pcap(path):
    data = open(path, "rb").read()
    linktype = struct.unpack_from("<I", data, 20)[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, cap, _ = struct.unpack_from("<IIII", data, off)
        frames.append(data[off + 16:off + 16 + cap])
        off += 16 + cap
    return linktype, frames


def write_linktype_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)


def mutate(rng, frame, keep):
    """keep: octets left alone (the link-layer header, so frames still reach
    the netlink or IPv6 dissector)."""
    b = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.6 and len(b) > keep:
            i = rng.randrange(keep, len(b))
            b[i] = rng.choice([0, 0xff, b[i] ^ (1 << rng.randrange(8)), rng.randrange(256)])
        elif op < 0.8 and len(b) > keep:
            del b[rng.randrange(keep, len(b)):]
        else:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
    return bytes(b)


def mode_mutants(make_replay, data):
    import random
    rng = random.Random(20261206)
    work = tempfile.mkdtemp(prefix="ec-ws-")
    rep = os.path.join(work, "r.pcap")
    subprocess.run([make_replay, rep, os.path.join(work, "e.jsonl"), os.path.join(work, "c")], check=True)
    total = 0
    for src, keep in ((rep, 16), (os.path.join(data, "qemu-dex-events-C.pcap"), 16),
                      (os.path.join(data, "qemu-dex-packets.pcap"), 14 + 40)):
        lt, frames = read_pcap(src)
        out = [mutate(rng, fr, keep) for fr in frames for _ in range(1500 // len(frames))]
        path = os.path.join(work, f"m{total}.pcap")
        write_linktype_pcap(path, lt, out)
        total += len(out)
        text = tshark(path, "-V")
        check(text.count("Frame ") >= len(out), f"{os.path.basename(src)}: {len(out)} mutants decoded")
    print(f"{total} mutated frames")
    shutil.rmtree(work)


# ---------------------------------------------------------------- pads
def nl_attr(t, payload):
    a = struct.pack("<HH", 4 + len(payload), t) + payload
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def genl_frame(cmd, attrs, family=0x1d):
    body = bytes([cmd, 1, 0, 0]) + b"".join(attrs)
    msg = struct.pack("<IHHII", 16 + len(body), family, 0, 0, 0) + body
    cooked = struct.pack("!HHH8sH", 6, 824, 0, b"", 16)
    return cooked + msg


def mode_pads():
    """DEX events with the series' pad attribute (33) and an empty 7 before
    the 8-octet fields, as architectures without efficient unaligned access
    get them: decoded like the same event without pads."""
    wide = bytes([64]) + (0x11223344556677).to_bytes(7, "big")
    nsw = (0xa1a2a3a4a5a6a7a8).to_bytes(8, "big")
    head = [nl_attr(5, b"\4"), nl_attr(6, struct.pack("<H", 123)), nl_attr(7, struct.pack("<I", 9)),
            nl_attr(8, struct.pack("<I", 4))]
    plain = head + [nl_attr(17, wide), nl_attr(19, nsw)]
    padded = head + [nl_attr(33, b""), nl_attr(17, wide), nl_attr(7, b""), nl_attr(19, nsw)]
    work = tempfile.mkdtemp(prefix="ec-ws-")
    pcap = os.path.join(work, "p.pcap")
    write_linktype_pcap(pcap, 253, [genl_frame(2, plain), genl_frame(2, padded)])
    names = ["ioam6_genl.cmd", "ioam6_genl.ns", "ioam6_genl.flowid", "ioam6_genl.seqnum", "ioam6_genl.type",
             "ioam6_genl.node.hlim", "ioam6_genl.node.id_wide", "ioam6_genl.node.nsdata_wide", "_ws.expert.message"]
    rows = fields(pcap, names)
    want = {"ioam6_genl.cmd": ["2"], "ioam6_genl.ns": ["123"], "ioam6_genl.flowid": ["9"],
            "ioam6_genl.seqnum": ["4"], "ioam6_genl.type": ["0x00a000"], "ioam6_genl.node.hlim": ["64"],
            "ioam6_genl.node.id_wide": [str(0x11223344556677)],
            "ioam6_genl.node.nsdata_wide": ["0xa1a2a3a4a5a6a7a8"], "_ws.expert.message": []}
    check(len(rows) == 2, "two events")
    for name, r in zip(("without pads", "with pads 33 and 7"), rows):
        check(r == want, f"{name}: {r}")
    shutil.rmtree(work)


# ---------------------------------------------------------------- dexnode
def mode_dexnode(data):
    """The kernel series' DEX event shape (include/ioam/netlink/ioam6.hpp on
    the kernel branch: NAMESPACE 1, TYPE 3, DEX_FLOW_ID 5, DEX_SEQ_NUM 6,
    DEX_NODE_DATA 7, one node as in a trace) and the IOAM6_CMD_GET_EVENT_STATS
    reply (command 8: EVENTS_SENT 8, EVENTS_SUPPRESSED 9, u64), written here
    from that description."""
    node = bytes([62]) + (3).to_bytes(3, "big") + struct.pack("!HH", 31, 0xffff) + struct.pack("!I", 0xc3c3c3c3)
    ns, ty = nl_attr(1, struct.pack("<H", 123)), nl_attr(3, struct.pack("<I", 0xc40000 << 8))
    frames = [
        genl_frame(2, [ns, ty, nl_attr(5, struct.pack("<I", 7)), nl_attr(6, struct.pack("<I", 3)), nl_attr(7, node)]),
        genl_frame(2, [ns, nl_attr(3, struct.pack("<I", 0x800002 << 8)),
                       nl_attr(7, node[:4] + struct.pack("!I", 1 << 24 | 7) + b"\xa0\xa1\xa2\xa3")]),
        genl_frame(2, [ns, ty, nl_attr(7, node + node)]),
        genl_frame(2, [ns, nl_attr(7, node)]),
        genl_frame(8, [nl_attr(8, struct.pack("<Q", 1234)), nl_attr(9, struct.pack("<Q", 5))]),
    ]
    work = tempfile.mkdtemp(prefix="ec-ws-")
    pcap = os.path.join(work, "n.pcap")
    write_linktype_pcap(pcap, 253, frames)
    names = ["ioam6_genl.cmd", "ioam6_genl.shape", "ioam6_genl.ns", "ioam6_genl.type", "ioam6_genl.flowid",
             "ioam6_genl.seqnum", "ioam6_genl.node.hlim", "ioam6_genl.node.id", "ioam6_genl.node.iif",
             "ioam6_genl.node.eif", "ioam6_genl.node.nsdata", "ioam6_genl.node.oss.scid",
             "ioam6_genl.node.oss.data", "ioam6_genl.events_sent", "ioam6_genl.events_suppressed",
             "_ws.expert.message"]
    rows = fields(pcap, names)
    check(len(rows) == 5, "five messages")
    if len(rows) != 5:
        return
    a, b, c, d, e = rows
    check(a["ioam6_genl.cmd"] == ["2"] and a["ioam6_genl.shape"] and "node data" in a["ioam6_genl.shape"][0]
          and a["ioam6_genl.ns"] == ["123"] and a["ioam6_genl.type"] == ["0xc40000"]
          and a["ioam6_genl.flowid"] == ["7"] and a["ioam6_genl.seqnum"] == ["3"]
          and a["ioam6_genl.node.hlim"] == ["62"] and a["ioam6_genl.node.id"] == ["3"]
          and a["ioam6_genl.node.iif"] == ["31"] and a["ioam6_genl.node.eif"] == ["65535"]
          and a["ioam6_genl.node.nsdata"] == ["0xc3c3c3c3"] and not a["_ws.expert.message"],
          f"node-data shape: every header value and node field ({a})")
    check(b["ioam6_genl.type"] == ["0x800002"] and b["ioam6_genl.node.id"] == ["3"]
          and b["ioam6_genl.node.oss.scid"] == ["0x000007"] and b["ioam6_genl.node.oss.data"] == ["a0a1a2a3"]
          and b["ioam6_genl.flowid"] == [] and not b["_ws.expert.message"],
          f"node-data shape with a snapshot, no flow id ({b})")
    check(any("holds 2 nodes" in m for m in c["_ws.expert.message"]), f"two nodes in one DEX event flagged ({c})")
    check(any("Required attribute missing: TYPE" in m for m in d["_ws.expert.message"]),
          f"a node-data event without TYPE flagged ({d})")
    check(e["ioam6_genl.cmd"] == ["8"] and e["ioam6_genl.events_sent"] == ["1234"]
          and e["ioam6_genl.events_suppressed"] == ["5"] and not e["_ws.expert.message"],
          f"the event statistics reply ({e})")
    shutil.rmtree(work)
    # The same shape as the kernel branch's encoder writes it
    # (encode_dex_node_event, commit 9ced15b): ns 77, flow 4000000000,
    # sequence 12, bits 0, 1 and 22, schema 0x123456 with 8 octets.
    (f,) = fields(os.path.join(DATA, "encoder-dex-node.pcap"), names) or [{}]
    check(f.get("ioam6_genl.ns") == ["77"] and f["ioam6_genl.type"] == ["0xc00002"]
          and f["ioam6_genl.flowid"] == ["4000000000"] and f["ioam6_genl.seqnum"] == ["12"]
          and f["ioam6_genl.node.hlim"] == ["61"] and f["ioam6_genl.node.id"] == ["9"]
          and f["ioam6_genl.node.iif"] == ["41"] and f["ioam6_genl.node.oss.scid"] == ["0x123456"]
          and f["ioam6_genl.node.oss.data"] == ["0102030405060708"] and not f["_ws.expert.message"],
          f"the kernel branch's encode_dex_node_event output ({f})")


# ---------------------------------------------------------------- series
def mode_series(rec):
    """The kernel series' events recorded under qemu by the kernel branch
    (tests/data/netlink/kernel-6.12-series.rec: "REC <node> <dex|trace>
    <hex>", values of kernel/guest/ioamtest.sh), as pcap frames."""
    frames = []
    for line in open(rec):
        p = line.split()
        if len(p) == 4 and p[0] == "REC":
            frames.append((p[1], p[2], struct.pack("!HHH8sH", 6, 824, 0, b"", 16) + bytes.fromhex(p[3])))
    work = tempfile.mkdtemp(prefix="ec-ws-")
    pcap = os.path.join(work, "s.pcap")
    write_linktype_pcap(pcap, 253, [f for _, _, f in frames])
    names = ["ioam6_genl.cmd", "ioam6_genl.shape", "ioam6_genl.ns", "ioam6_genl.type", "ioam6_genl.flowid",
             "ioam6_genl.seqnum", "ioam6_genl.nodes", "ioam6_genl.node.hlim", "ioam6_genl.node.id",
             "ioam6_genl.node.iif", "ioam6_genl.node.eif", "ioam6_genl.node.nsdata", "ioam6_genl.node.id_wide",
             "ioam6_genl.node.oss.scid", "ioam6_genl.node.oss.data", "_ws.expert.message"]
    rows = fields(pcap, names)
    check(len(rows) == len(frames) and len(frames) >= 5, f"{len(frames)} recorded events, {len(rows)} decoded")
    node = {  # hop limit, id, ingress, egress, namespace data, wide id, schema, snapshot
        "A": ("64", "1", "65535", "11", "0xa1a1a1a1", "4503599627370497", "0xffffff", []),
        "B": ("63", "2", "21", "22", "0xb2b2b2b2", "9007199254740994", "0x000007", ["0102030405060708"]),
        "C": ("62", "3", "31", "65535", "0xc3c3c3c3", "13510798882111491", "0xffffff", []),
    }
    order = "CBA"  # a trace holds the most recent node first
    for (n, kind, _), r in zip(frames, rows):
        tag = f"{kind} at {n}"
        check(not r["_ws.expert.message"] and r["ioam6_genl.ns"] == ["123"], f"{tag}: ns 123, no expert message")
        if kind == "dex":
            hl, nid, iif, eif, nsd, wide, scid, snap = node[n]
            check(r["ioam6_genl.cmd"] == ["2"] and r["ioam6_genl.shape"] and "node data" in r["ioam6_genl.shape"][0]
                  and r["ioam6_genl.type"] == ["0xfef002"] and len(r["ioam6_genl.flowid"]) == 1
                  and len(r["ioam6_genl.seqnum"]) == 1, f"{tag}: node-data shape, type 0xfef002, flow id, sequence")
            check(r["ioam6_genl.node.hlim"] == [hl, hl] and r["ioam6_genl.node.id"] == [nid]
                  and r["ioam6_genl.node.iif"] == [iif] and r["ioam6_genl.node.eif"] == [eif]
                  and r["ioam6_genl.node.nsdata"] == [nsd] and r["ioam6_genl.node.id_wide"] == [wide]
                  and r["ioam6_genl.node.oss.scid"] == [scid] and r["ioam6_genl.node.oss.data"] == snap,
                  f"{tag}: hop limit {hl}, node id {nid} (wide {wide}), interfaces {iif}/{eif}, data {nsd}, "
                  f"schema {scid} ({r})")
        else:
            path = order[order.index(n):]
            check(r["ioam6_genl.cmd"] == ["1"] and r["ioam6_genl.type"] == ["0xf00002"]
                  and r["ioam6_genl.nodes"] == [str(len(path))]
                  and r["ioam6_genl.node.id"] == [node[x][1] for x in path]
                  and r["ioam6_genl.node.hlim"] == [node[x][0] for x in path]
                  and r["ioam6_genl.node.oss.scid"] == [node[x][6] for x in path],
                  f"{tag}: type 0xf00002, nodes {path} with their hop limits, ids and schemas ({r})")
    shutil.rmtree(work)


# ---------------------------------------------------------------- standdown
STUB = """-- Plays a Wireshark that decodes DEX itself (upstream's field names).
local p = Proto("stub_ipv6_dex", "Stub of a built-in DEX decoder")
p.fields = { ProtoField.uint16("ipv6.opt.ioam.dex.ns", "Namespace ID") }
"""


def mode_standdown():
    work = tempfile.mkdtemp(prefix="ec-ws-")
    stub = os.path.join(work, "stub.lua")
    with open(stub, "w") as f:
        f.write(STUB)
    pcap = os.path.join(work, "d.pcap")
    write_pcap(pcap, [(ipv6_udp(ioam_option(4, dex_body(ext=0x80, tail=b"\0\0\0\7"))), 1000)])

    def run(extra, *args):
        cmd = ["tshark", "-n"] + sum((["-X", f"lua_script:{x}"] for x in extra), []) + ["-r", pcap, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    ns_flow = ["-T", "fields", "-e", "ipv6.opt.ioam.dex.ns", "-e", "ipv6.opt.ioam.dex.extflag.flowid"]
    p = run([LUA], *ns_flow)
    check(p.returncode == 0 and p.stdout.split() == ["123", "7"], f"alone: ioam.lua decodes ns 123, flow 7 ({p.stdout.split()})")
    p = run([stub, LUA], "-T", "fields", "-e", "ipv6.opt.ioam.dex.ns", "-e", "ioam6_genl.cmd")
    check(p.returncode == 0 and "Lua Error" not in p.stdout + p.stderr,
          f"with a built-in DEX decoder: tshark runs cleanly ({p.stderr.strip()})")
    check(p.stdout.split() == [], "the built-in field is left alone (the stub fills nothing, nor does ioam.lua)")
    p = run([stub, LUA], "-Y", "ipv6.opt.ioam.dex.extflag.flowid")
    check(p.returncode != 0 and "neither a field nor a protocol" in p.stderr,
          "ioam.lua registered no DEX field of its own")
    p = run([stub, LUA], "-V")
    check("IOAM Direct Exporting option (ioam.lua)" not in p.stdout and "ioam6_genl" not in p.stderr,
          "DEX packets are left to the built-in decoder")
    copy = os.path.join(work, "installed-ioam.lua")
    shutil.copy(LUA, copy)
    p = run([copy, LUA], *ns_flow)
    check(p.returncode == 0 and "Lua Error" not in p.stdout + p.stderr and p.stdout.split() == ["123", "7"],
          f"loaded twice (installed and -X lua_script): one copy decodes, no error ({p.stderr.strip()[:200]})")
    shutil.rmtree(work)


# ---------------------------------------------------------------- qemu
QEMU_SETS = [  # file prefix, DEX event shape, which series made it
    ("qemu-dex", "one attribute per field", "the reference-shaped series of main"),
    ("qemu-series-dex", "node data", "the kernel branch's series (node-data events)"),
]


def mode_qemu(data):
    ran = 0
    for prefix, shape, what in QEMU_SETS:
        if not os.path.exists(os.path.join(data, f"{prefix}-packets.pcap")):
            continue
        ran += 1
        print(f"-- {prefix}: {what}")
        qemu_set(data, prefix, shape)
    check(ran >= 1, f"{ran} set(s) of qemu pcaps")


def qemu_set(data, prefix, shape):
    pk = fields(os.path.join(data, f"{prefix}-packets.pcap"),
                ["ipv6.src", "ipv6.opt.ioam.dex.ns", "ipv6.opt.ioam.dex.extflags", "ipv6.opt.ioam.dex.type",
                 "ipv6.opt.ioam.dex.extflag.flowid", "ipv6.opt.ioam.dex.extflag.seqnum", "ipv6.opt.ioam.dex.rsv",
                 "_ws.expert.message"])
    check(len(pk) == 6 and all(r["ipv6.opt.ioam.dex.ns"] == ["123"] and r["ipv6.opt.ioam.dex.extflags"] == ["0xc0"]
                               and r["ipv6.opt.ioam.dex.type"] == ["0xc40000"] and r["ipv6.opt.ioam.dex.rsv"] == ["0"]
                               for r in pk),
          f"6 kernel-inserted DEX options: ns 123, both extension flags, trace type 0xc40000 ({len(pk)} frames)")
    flows = {}
    for r in pk:
        flows.setdefault(r["ipv6.opt.ioam.dex.extflag.flowid"][0] if r["ipv6.opt.ioam.dex.extflag.flowid"] else "-", []).append(
            r["ipv6.opt.ioam.dex.extflag.seqnum"][0] if r["ipv6.opt.ioam.dex.extflag.seqnum"] else "-")
    check(len(flows) == 2 and all(v == ["0", "1", "2"] for v in flows.values()),
          f"two flows, sequence numbers 0, 1, 2 each ({flows})")
    ours = [m for r in pk for m in r["_ws.expert.message"] if "Unknown Data" not in m]
    check(not ours, f"no expert message of ioam.lua ({ours})")
    nodes = {"B": ("63", "2", "21", "22", "0xb2b2b2b2"), "C": ("62", "3", "31", "65535", "0xc3c3c3c3")}
    for node, (hl, nid, iif, eif, nsdata) in nodes.items():
        ev = fields(os.path.join(data, f"{prefix}-events-{node}.pcap"),
                    ["ioam6_genl.cmd", "ioam6_genl.shape", "ioam6_genl.ns", "ioam6_genl.type",
                     "ioam6_genl.flowid", "ioam6_genl.seqnum", "ioam6_genl.node.hlim", "ioam6_genl.node.id",
                     "ioam6_genl.node.iif", "ioam6_genl.node.eif", "ioam6_genl.node.nsdata", "_ws.expert.message"])
        check(len(ev) == 6 and all(r["ioam6_genl.cmd"] == ["2"] and r["ioam6_genl.ns"] == ["123"]
                                   and len(r["ioam6_genl.shape"]) == 1 and shape in r["ioam6_genl.shape"][0]
                                   and r["ioam6_genl.type"] == ["0xc40000"]
                                   and not r["_ws.expert.message"] for r in ev),
              f"{node}: 6 DEX events ({shape}), ns 123, fields of trace type 0xc40000, no expert message")
        check(all(r["ioam6_genl.node.hlim"] == [hl] and r["ioam6_genl.node.id"] == [nid]
                  and r["ioam6_genl.node.iif"] == [iif] and r["ioam6_genl.node.eif"] == [eif]
                  and r["ioam6_genl.node.nsdata"] == [nsdata] for r in ev),
              f"{node}: hop limit {hl}, node id {nid}, interfaces {iif}/{eif}, namespace data {nsdata}")
        got = sorted((r["ioam6_genl.flowid"][0], r["ioam6_genl.seqnum"][0]) for r in ev if r["ioam6_genl.flowid"])
        want = sorted((f, s) for f, seqs in flows.items() for s in seqs)
        check(got == want, f"{node}: the events carry the packets' flow ids and sequence numbers")


# ---------------------------------------------------------------- netns
def mode_netns(inject, exporter):
    require_ioam_netns("ec-ws-probe")
    if not shutil.which("dumpcap"):
        skip("dumpcap is missing (apt-get install tshark)")
    tag = os.getpid()
    A, R = f"ec-wsa-{tag}", f"ec-wsr-{tag}"
    work = tempfile.mkdtemp(prefix="ec-ws-")
    cap, rec = os.path.join(work, "aramis.pcap"), os.path.join(work, "events.pcap")
    procs = []
    try:
        for n in (A, R):
            sh(f"ip netns add {n}")
            ns(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
            ns(n, "ip link set lo up")
        sh(f"ip link add ec0 netns {A} type veth peer name ec0 netns {R}")
        ns(A, "ip addr add db01::1/64 dev ec0")
        ns(R, "ip addr add db01::2/64 dev ec0")
        ns(A, "ip link set ec0 up")
        ns(R, "ip link set ec0 up")
        ns(R, "sysctl -qw net.ipv6.ioam6_id=3 net.ipv6.conf.ec0.ioam6_enabled=1 net.ipv6.conf.ec0.ioam6_id=31")
        ns(R, "ip ioam namespace add 123 data 0xc0ffee03")
        procs.append(subprocess.Popen(["ip", "netns", "exec", R, "dumpcap", "-q", "-P", "-i", "ec0", "-w", cap,
                                       "-f", "ip6 and not icmp6"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["ip", "netns", "exec", R, exporter, "--record", rec, "--file", "/dev/null",
                                       "--keep-privileges"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for _ in range(50):
            if os.path.exists(cap) and os.path.exists(rec):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        ns(A, f"{inject} --dst db01::2 --port 7777 --mode dex --type 0xc40000 --flow-id 77 --sequence --count 4")
        ns(A, f"{inject} --dst db01::2 --port 7777 --mode dex --namespace 5 --count 1")
        ns(A, f"{inject} --dst db01::2 --port 7777 --type 0xc40000 --nodes 2 --count 3")
        time.sleep(1)
    finally:
        for n in (A, R):
            for pid in sh(f"ip netns pids {n}", check_rc=False).stdout.split():
                try:
                    os.kill(int(pid), 2)
                except OSError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for n in (A, R):
            sh(f"ip netns del {n}", check_rc=False)
    names = ["ipv6.opt.ioam.dex.ns", "ipv6.opt.ioam.dex.extflags", "ipv6.opt.ioam.dex.extflag.flag.flowid",
             "ipv6.opt.ioam.dex.extflag.flag.seqnum", "ipv6.opt.ioam.dex.type", "ipv6.opt.ioam.dex.extflag.flowid",
             "ipv6.opt.ioam.dex.extflag.seqnum", "_ws.expert.message"]
    # The datagrams' payload is ioam-inject's text, to port 7777 from a random
    # source port: read as data, or a dissector registered for that source
    # port (DNS, VXLAN, ...) would try it and flag it malformed.
    dex = fields(cap, names, filt="ipv6.opt.ioam.dex.ns", decode_as=["udp.port==7777,data"])
    check(len(dex) == 5, f"5 datagrams with a DEX option captured at the receiver (got {len(dex)})")
    flowed = [r for r in dex if r["ipv6.opt.ioam.dex.ns"] == ["123"]]
    check([r["ipv6.opt.ioam.dex.extflag.seqnum"] for r in flowed] == [["0"], ["1"], ["2"], ["3"]],
          "ns 123: sequence numbers 0..3")
    check(all(r["ipv6.opt.ioam.dex.extflag.flowid"] == ["77"] and r["ipv6.opt.ioam.dex.extflags"] == ["0xc0"]
              and r["ipv6.opt.ioam.dex.extflag.flag.flowid"] == ["1"] and r["ipv6.opt.ioam.dex.extflag.flag.seqnum"] == ["1"]
              and r["ipv6.opt.ioam.dex.type"] == ["0xc40000"] for r in flowed),
          "ns 123: flow id 77, extension flags 0xc0 (both flags), trace type 0xc40000")
    plain = [r for r in dex if r["ipv6.opt.ioam.dex.ns"] == ["5"]]
    check(len(plain) == 1 and plain[0]["ipv6.opt.ioam.dex.extflags"] == ["0x00"]
          and plain[0]["ipv6.opt.ioam.dex.extflag.flowid"] == [] and plain[0]["ipv6.opt.ioam.dex.extflag.flag.flowid"] == ["0"],
          "ns 5: no extension flags, no flow id")
    # tshark 4.0's own note on the option it cannot read aside, and the UDP
    # dissector's on a source port in traceroute's range (33434-33534).
    ours = [m for r in dex for m in r["_ws.expert.message"]
            if "Unknown Data" not in m and "Possible traceroute" not in m]
    check(not ours, f"no expert message of ioam.lua on the real DEX options ({ours})")
    traces = fields(cap, ["ipv6.opt.ioam.trace.ns", "ipv6.opt.ioam.trace.node.id"], filt="ipv6.opt.ioam.trace.ns")
    check(len(traces) == 3, f"3 Pre-allocated Traces captured (tshark's own decoder; got {len(traces)})")
    evs = fields(rec, ["ioam6_genl.cmd", "ioam6_genl.ns", "ioam6_genl.type", "ioam6_genl.nodes",
                       "ioam6_genl.node.id", "ioam6_genl.node.iif", "ioam6_genl.node.nsdata", "_ws.expert.message"],
                 filt="ioam6_genl.cmd")
    check(len(evs) == 3, f"ioam-exporter --record: 3 events decoded (got {len(evs)}); the kernel has no DEX events")
    check(all(r["ioam6_genl.cmd"] == ["1"] and r["ioam6_genl.ns"] == ["123"] and r["ioam6_genl.type"] == ["0xc40000"]
              and r["ioam6_genl.nodes"] == ["1"] and r["ioam6_genl.node.id"] == ["3"]
              and r["ioam6_genl.node.iif"] == ["31"] and r["ioam6_genl.node.nsdata"] == ["0xc0ffee03"]
              and not r["_ws.expert.message"] for r in evs),
          "each recorded event: TRACE, ns 123, type 0xc40000, one node (id 3, ingress 31, data 0xc0ffee03)")
    shutil.rmtree(work)


def main():
    global LUA, DATA
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, LUA = sys.argv[1], os.path.abspath(sys.argv[2])
    need_tshark()
    if mode == "events":
        mode_events(sys.argv[3])
    elif mode == "malformed":
        mode_malformed()
    elif mode == "mutants":
        mode_mutants(sys.argv[3], sys.argv[4])
    elif mode == "pads":
        mode_pads()
    elif mode == "dexnode":
        DATA = sys.argv[3]
        mode_dexnode(DATA)
    elif mode == "series":
        mode_series(sys.argv[3])
    elif mode == "standdown":
        mode_standdown()
    elif mode == "qemu":
        mode_qemu(sys.argv[3])
    elif mode == "netns":
        mode_netns(sys.argv[3], sys.argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return finish(f"wireshark/{mode}")


if __name__ == "__main__":
    sys.exit(main())

"""An IOAM option parser written from RFC 9197 4.4 and RFC 9326 3.2 alone,
independent of the C++ decoders: the replay and nfacctd tests use it on the
raw octets that tshark, ipfixDump and nfacctd print for rawexport records, and
compare the nodes with what make_replay's inputs say (its JSON keys)."""

# Trace-type bit -> the values of its field: (JSON key, octets), RFC 9197 4.4.2.
FIELDS = {
    0: [("hop_limit", 1), ("node_id", 3)],
    1: [("ingress_id", 2), ("egress_id", 2)],
    2: [("timestamp_seconds", 4)],
    3: [("timestamp_fraction", 4)],
    4: [("transit_delay", 4)],
    5: [("namespace_data", 4)],
    6: [("queue_depth", 4)],
    7: [("checksum_complement", 4)],
    8: [("hop_limit_wide", 1), ("node_id_wide", 7)],
    9: [("ingress_id_wide", 4), ("egress_id_wide", 4)],
    10: [("namespace_data_wide", 8)],
    11: [("buffer_occupancy", 4)],
}


def _bit(trace_type, b):
    return trace_type & (1 << (23 - b))


def parse_node(trace_type, data, pos):
    """One node at data[pos:]: (values, new position)."""
    node = {}
    for b in range(22):
        if not _bit(trace_type, b):
            continue
        if b in FIELDS:
            for key, n in FIELDS[b]:
                node[key] = int.from_bytes(data[pos:pos + n], "big")
                pos += n
        else:
            pos += 4  # bits 12-21: undefined, 4 octets, not exported as values
    if _bit(trace_type, 22):
        words = data[pos]
        node["schema_id"] = int.from_bytes(data[pos + 1:pos + 4], "big")
        node["snapshot"] = data[pos + 4:pos + 4 + 4 * words].hex()
        pos += 4 + 4 * words
    if pos > len(data):
        raise ValueError("node runs past the option")
    return node, pos


def parse_trace(data):
    """A Pre-allocated Trace option body: header dict and the list of nodes."""
    ns = int.from_bytes(data[0:2], "big")
    w = int.from_bytes(data[2:4], "big")
    hdr = {"namespace": ns, "node_len": w >> 11, "flags": (w >> 7) & 0xF, "remaining_len": w & 0x7F,
           "trace_type": int.from_bytes(data[4:7], "big")}
    pos = 8 + 4 * hdr["remaining_len"]
    nodes = []
    while pos < len(data):
        node, pos = parse_node(hdr["trace_type"], data, pos)
        nodes.append(node)
    return hdr, nodes


def parse_dex(data):
    """A DEX option body and the one node after it."""
    hdr = {"namespace": int.from_bytes(data[0:2], "big"), "flags": data[2], "ext_flags": data[3],
           "trace_type": int.from_bytes(data[4:7], "big")}
    pos = 8
    if hdr["ext_flags"] & 0x80:
        hdr["flow_id"] = int.from_bytes(data[pos:pos + 4], "big")
        pos += 4
    if hdr["ext_flags"] & 0x40:
        hdr["sequence"] = int.from_bytes(data[pos:pos + 4], "big")
        pos += 4
    node, pos = parse_node(hdr["trace_type"], data, pos)
    if pos != len(data):
        raise ValueError("octets after the DEX node")
    return hdr, node


def as_records(option_type, data):
    """The records make_replay expects for one event (without "event")."""
    out = []
    if option_type == "dex":
        hdr, node = parse_dex(data)
        r = {"option_type": "dex", "namespace": hdr["namespace"], "trace_type": hdr["trace_type"]}
        for k in ("flow_id", "sequence"):
            if k in hdr:
                r[k] = hdr[k]
        r.update(node)
        return [r]
    hdr, nodes = parse_trace(data)
    base = {"option_type": "trace", "namespace": hdr["namespace"], "trace_type": hdr["trace_type"],
            "node_count": len(nodes)}
    if not nodes:
        return [dict(base, node_index=0)]
    for i, n in enumerate(nodes):
        r = dict(base, node_index=i)
        r.update(n)
        out.append(r)
    return out


def expected_by_event(want):
    """make_replay's expected records grouped per event, "event" removed."""
    events = {}
    for w in want:
        events.setdefault(w["event"], []).append({k: v for k, v in w.items() if k != "event"})
    return [events[k] for k in sorted(events)]

"""ioam-collector on files and the seed exporter's quirks:
- a 48 MB file is streamed in constant memory (peak RSS from wait4) and
  every record printed;
- a file whose template records are all invalid exits 1 and counts them;
  a truncated file exits 1 and says where;
- --quirks go-ioam-exporter on the seed's record shape (template 293, 24- and
  56-bit fields and the schema id little-endian, schema 0, sequence advanced
  by the field count, a new UDP source port per message): values repaired,
  the shifted fields marked, no gap line per message, one UDP session;
  without the option the raw values come through unchanged.
Usage: files.py COLLECTOR"""
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import time

from common import (SEED, Collector, check, data_set, failures, finish, free_ports, good_message, message, run_measured,
                    sanitized, stats, template_set, udp_sender)

collector = sys.argv[1]
work = tempfile.mkdtemp(prefix="co-files-")


def run(args, path):
    """Runs the collector to completion: (rc, stdout, stderr, peak RSS in KB, CPU s)."""
    with open(os.path.join(work, "out"), "wb") as out, open(os.path.join(work, "err"), "wb") as err:
        rc, hwm, cpu = run_measured([collector, *args, path], out, err)
    with open(os.path.join(work, "out"), "rb") as f:
        out = f.read().decode(errors="replace")
    with open(os.path.join(work, "err")) as f:
        err = f.read()
    return rc, out, err, hwm, cpu


# ---- a large file in constant memory -------------------------------------------
big = os.path.join(work, "big.ipfix")
per, n_msgs = 40, 0
with open(big, "wb") as f:
    chunk = b"".join(good_message(seq=i * per, first_event=1 + i * per, n=per) for i in range(1000))
    while f.tell() < 32 << 20:
        f.write(chunk)  # the same 1000 messages again: sequence gaps, counted not logged per message
        n_msgs += 1000
t0 = time.time()
rc, out, err, rss, cpu = run(["--json"], big)
st = stats(err)
check(rc == 0, f"large file: exit 0 (got {rc}: {err[-300:]!r})")
check(st.get("records") == n_msgs * per, f"large file: {n_msgs * per} records (got {st.get('records')})")
check(out.count("\n") == n_msgs * per, "large file: one JSON line per record")
rss_bound = (256 if sanitized(collector) else 16) * 1024  # ASan: shadow memory and quarantine
check(rss < rss_bound, f"large file ({os.path.getsize(big) >> 20} MB): peak RSS {rss} KB < {rss_bound} KB")
gap_lines = err.count("sequence gap in domain")
check(st.get("sequence_gaps", 0) > 0 and gap_lines <= 10,
      f"sequence gaps counted ({st.get('sequence_gaps')}) and logged at a bounded rate ({gap_lines} lines)")
print(f"info: large file {n_msgs * per} records in {time.time() - t0:.2f} s ({cpu:.2f} s CPU)")

# ---- invalid templates, truncated file ----------------------------------------------
bad = os.path.join(work, "bad.ipfix")
with open(bad, "wb") as f:
    for i in range(3):  # template ids below 256 are invalid (RFC 7011 3.4.1)
        f.write(message([template_set(100 + i, [(0, 2), (2, 4)])], seq=0))
rc, out, err, _, _ = run(["--json"], bad)
st = stats(err)
check(rc == 1, f"all template records invalid: exit 1 (got {rc})")
check(st.get("invalid_templates") == 3 and st.get("templates") == 0,
      f"invalid template records counted: {st.get('invalid_templates')} (templates learnt {st.get('templates')})")
trunc = os.path.join(work, "trunc.ipfix")
with open(trunc, "wb") as f:
    f.write(good_message(0, 1, 4) + good_message(4, 5, 4)[:50])
rc, out, err, _, _ = run(["--json"], trunc)
check(rc == 1 and "truncated message at offset" in err and out.count("\n") == 4,
      f"truncated file: the whole message decoded, exit 1 and where ({rc}, {err.splitlines()[0]!r})")

# ---- the seed Go exporter's records ---------------------------------------------------


def seed_record(node_id, wide_node, schema, ns=7):
    # Its defects (DESIGN.md): 24/56-bit values little-endian, no schema as 0.
    le24 = node_id.to_bytes(3, "little")
    le56 = wide_node.to_bytes(7, "little")
    return (struct.pack("!HB", ns, 64) + le24 + struct.pack("!HHIIII", 11, 12, 1700000000, 5, 0x0a0b0c0d, 9) +
            le56 + struct.pack("!IIQ", 21, 22, 0x1122334455667788) + schema.to_bytes(3, "little") +
            bytes([3]) + b"\x01\x02\x03" + struct.pack("!II", 0, 0))


seed = os.path.join(work, "seed.ipfix")
with open(seed, "wb") as f:
    seq = 0
    for i in range(50):
        recs = [seed_record(0x010203 + i, 0x0102030405060 + i, 0 if i % 2 == 0 else 0x0a0b0c)]
        f.write(message([template_set(293, SEED), data_set(293, recs)], seq=seq))
        seq += len(SEED)  # the seed advances its sequence number by the field count
rc, out, err, _, _ = run(["--json", "--quirks", "go-ioam-exporter"], seed)
st = stats(err)
rows = [json.loads(x) for x in out.splitlines()]
check(rc == 0 and len(rows) == 50, f"quirks: 50 records, exit 0 ({rc}, {len(rows)})")
check(all(r["node_id"] == 0x010203 + i for i, r in enumerate(rows)), "quirks: 24-bit node id byte order repaired")
check(all(r["node_id_wide"] == 0x0102030405060 + i for i, r in enumerate(rows)),
      "quirks: 56-bit wide node id byte order repaired")
check(all(r["schema_id"] == (0xffffff if i % 2 == 0 else 0x0a0b0c) for i, r in enumerate(rows)),
      "quirks: schema id byte order repaired, schema 0 read as none (0xffffff)")
check(all(r["hop_limit"] == 64 and r["ingress_id"] == 11 and r["timestamp_seconds"] == 1700000000 for r in rows),
      "quirks: fields before bit 4 unchanged")
check(all(r.get("unreliable") == ["namespace_data", "queue_depth", "node_id_wide", "ingress_id_wide",
                                  "egress_id_wide", "namespace_data_wide", "schema_id", "snapshot"] for r in rows),
      f"quirks: the fields after bit 4 marked unreliable ({rows[0].get('unreliable')})")
check("sequence gap in domain" not in err and st.get("sequence_by_field_count") == 49 and
      st.get("fields_byte_swapped") == 150 and st.get("schema_0_as_none") == 25,
      f"quirks: sequence by field count counted, not logged; repairs counted ({st})")
rc, out, err, _, _ = run(["--json"], seed)
rows = [json.loads(x) for x in out.splitlines()]
check(rc == 0 and rows[0]["node_id"] == 0x030201 and "unreliable" not in rows[0] and rows[0]["schema_id"] == 0,
      "without --quirks: the seed's values as sent")
check(stats(err).get("sequence_gaps") == 49 and err.count("sequence gap in domain") <= 10,
      "without --quirks: its sequence gaps counted, logged at a bounded rate")
# Over UDP the seed opens a new socket (source port) per message: with the
# quirk its stream is one session, and its sequence numbers log nothing.
port = free_ports([socket.SOCK_DGRAM])[0]
c = Collector(collector, ["--listen", f"127.0.0.1:{port}", "--quirks", "go-ioam-exporter"], work, "seed-udp")
check(c.wait_listening("listening on UDP"), "quirks over UDP: collector listening")
seq = 0
for i in range(30):
    s = udp_sender(port)
    s.send(message([template_set(293, SEED), data_set(293, [seed_record(0x010203, 5, 0)])], seq=seq))
    s.close()
    seq += len(SEED)
check(c.wait_records(30), f"quirks over UDP: 30 records ({len(c.lines())})")
rc, lines, err = c.stop()
st = stats(err)
check(rc == 0 and st.get("udp_sessions") == 1 and st.get("sequence_by_field_count") == 29 and
      "sequence gap" not in err and json.loads(lines[0])["node_id"] == 0x010203,
      f"quirks over UDP: one session for 30 source ports, no gap lines ({st.get('udp_sessions')}, "
      f"{st.get('sequence_by_field_count')})")

rc, out, err, _, _ = run(["--json", "--quirks", "go-ioam-exporter"], big.replace("big", "none"))
check(rc == 4, "missing file: exit 4")

if not failures:
    shutil.rmtree(work, ignore_errors=True)
else:
    print("files kept in", work)
sys.exit(finish("collector/files"))

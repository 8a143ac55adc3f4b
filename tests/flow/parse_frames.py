#!/usr/bin/env python3
"""The flow programs' parser on crafted frames the kernel test does not send
(VLAN and QinQ tags, IPv4 options and later fragments, IPv6 destination,
routing, AH and fragment headers, ICMP type/code, a non-IP frame): each frame
runs through fe_ingress and fe_egress with BPF_PROG_TEST_RUN (`bpftool prog
run`), then the slot table and the overflow hash map (one value per CPU),
added up here as the exporter does, must hold exactly the expected flow key, packets, octets, TCP flags,
TTL and TOS for every frame, and the counters the non-IP frame.

usage: parse_frames.py FLOW_BPF_OBJECT
Needs root, bpftool and the BPF file system; exits 77 and says why otherwise
(a program the verifier refuses fails the test)."""
import json
import os
import shutil
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import check, finish, skip, sh  # noqa: E402

OBJ = os.path.abspath(sys.argv[1])
REPEAT = 3  # runs of each program per frame
ETH = b"\x02" * 6 + b"\x04" * 6
S4, D4 = bytes([10, 1, 2, 3]), bytes([10, 4, 5, 6])
S6, D6 = socket.inet_pton(socket.AF_INET6, "fd47:9::1"), socket.inet_pton(socket.AF_INET6, "fd47:9::2")


def ipv4(proto, payload, frag=0, tos=0x28, ttl=61, options=b""):
    ihl = 5 + len(options) // 4
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, ihl * 4 + len(payload), 1, frag, ttl, proto, 0, S4, D4) \
        + options + payload


def ipv6(nh, payload, tc=0xb8, hl=33):
    return struct.pack("!IHBB16s16s", 0x60000000 | (tc << 20) | 5, len(payload), nh, hl, S6, D6) + payload


def udp(sp, dp, n=10):
    return struct.pack("!HHHH", sp, dp, 8 + n, 0) + b"u" * n


def tcp(sp, dp, flags, ns_bit=0):
    return struct.pack("!HHIIBBHHH", sp, dp, 1, 1, 0x50 | ns_bit, flags, 100, 0, 0) + b"t" * 5


# name: (frame, expected key fields or None for not-IP, l3 octets, tcp flags, ttl, tos)
# key: (ip version, protocol, source port, destination port)
def frames():
    f = {}
    p = udp(1001, 2001)
    f["IPv4 UDP"] = (ETH + b"\x08\x00" + ipv4(17, p), (4, 17, 1001, 2001), 20 + len(p), 0, 61, 0x28)
    p = udp(1002, 2002)
    f["IPv4 with options"] = (ETH + b"\x08\x00" + ipv4(17, p, options=b"\x01\x01\x01\x00"), (4, 17, 1002, 2002),
                              24 + len(p), 0, 61, 0x28)
    p = udp(1003, 2003)
    f["IPv4 later fragment"] = (ETH + b"\x08\x00" + ipv4(6, p, frag=0x0002, tos=0x10, ttl=7), (4, 6, 0, 0),
                                20 + len(p), 0, 7, 0x10)
    p = tcp(1004, 2004, 0x12, ns_bit=1)
    f["IPv4 TCP SYN-ACK with NS"] = (ETH + b"\x08\x00" + ipv4(6, p), (4, 6, 1004, 2004), 20 + len(p), 0x112, 61, 0x28)
    p = bytes([8, 3, 0, 0]) + b"i" * 12
    f["ICMP echo code 3"] = (ETH + b"\x08\x00" + ipv4(1, p), (4, 1, 0, 8 * 256 + 3), 20 + len(p), 0, 61, 0x28)
    p = udp(1005, 2005)
    f["802.1Q"] = (ETH + b"\x81\x00\x00\x05\x08\x00" + ipv4(17, p), (4, 17, 1005, 2005), 20 + len(p), 0, 61, 0x28)
    p = udp(1006, 2006)
    f["QinQ IPv6"] = (ETH + b"\x88\xa8\x00\x05\x81\x00\x00\x06\x86\xdd" + ipv6(17, p), (6, 17, 1006, 2006),
                      40 + len(p), 0, 33, 0xb8)
    p = bytes([17, 0, 0x31, 4, 0, 0, 0, 0]) + udp(1007, 2007)  # hop-by-hop, 8 octets
    f["IPv6 hop-by-hop"] = (ETH + b"\x86\xdd" + ipv6(0, p), (6, 17, 1007, 2007), 40 + len(p), 0, 33, 0xb8)
    p = bytes([17, 0, 0, 1, 0, 0, 0, 7]) + udp(1008, 2008)  # fragment offset 0, more fragments
    f["IPv6 first fragment"] = (ETH + b"\x86\xdd" + ipv6(44, p), (6, 17, 1008, 2008), 40 + len(p), 0, 33, 0xb8)
    p = bytes([58, 0, 0, 0x10, 0, 0, 0, 7]) + b"x" * 16  # offset 2 (16 octets)
    f["IPv6 later fragment"] = (ETH + b"\x86\xdd" + ipv6(44, p, tc=0x20), (6, 58, 0, 0), 40 + len(p), 0, 33, 0x20)
    # destination options (16 octets) -> routing (8) -> AH (12: length 1) -> TCP
    p = bytes([43, 1]) + bytes(14) + bytes([51, 0, 0, 0, 0, 0, 0, 0]) + bytes([6, 1, 0, 0]) + bytes(8) \
        + tcp(1009, 2009, 0x01)
    f["IPv6 dst, routing, AH"] = (ETH + b"\x86\xdd" + ipv6(60, p), (6, 6, 1009, 2009), 40 + len(p), 0x01, 33, 0xb8)
    p = bytes([128, 0, 0, 0]) + b"e" * 8
    f["ICMPv6 echo"] = (ETH + b"\x86\xdd" + ipv6(58, p, hl=1), (6, 58, 0, 128 * 256), 40 + len(p), 0, 1, 0xb8)
    p = b"g" * 20
    f["IPv6 GRE, ECN set"] = (ETH + b"\x86\xdd" + ipv6(47, p, tc=0xb9), (6, 47, 0, 0), 40 + len(p), 0, 33, 0xb9)
    f["ARP"] = (ETH + b"\x08\x06" + b"\x00" * 28, None, 0, 0, 0, 0)
    return {k: (v[0] + b"\x00" * max(0, 60 - len(v[0])),) + v[1:] for k, v in f.items()}


def main():
    if os.geteuid() != 0:
        skip("needs root")
    if not shutil.which("bpftool"):
        skip("bpftool is missing (tests/install-deps.sh installs it)")
    if not os.path.ismount("/sys/fs/bpf"):
        skip("no BPF file system at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)")
    work = tempfile.mkdtemp(prefix="fl-parse-")
    try:
        # Pass 1: the slot table empty, as at start. Pass 2: every slot in
        # state release (user space reclaiming it): the program must neither
        # count into a slot nor take one, so every packet goes to the
        # overflow hash map, with the same exact counts.
        for released in (False, True):
            if not one_pass(work, released):
                break
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish("flow/parse")


def one_pass(work, released):
    tag = "overflow: " if released else ""
    progs, maps = f"/sys/fs/bpf/fl-parse-{os.getpid()}", f"/sys/fs/bpf/fl-parse-maps-{os.getpid()}"
    try:
        r = sh(f"bpftool prog loadall {OBJ} {progs} type classifier pinmaps {maps}", check_rc=False)
        check(r.returncode == 0, f"{tag}the kernel loads the programs ({r.stderr.strip()[-600:]})")
        if r.returncode != 0:
            return False
        nslots = json.loads(sh(f"bpftool -j map show pinned {maps}/slots").stdout)["max_entries"]
        if released:
            # struct fe_slot: 128 octets, the state (2: release) at octet 44.
            value = " ".join(f"{b:02x}" for b in bytes(44) + struct.pack("<I", 2) + bytes(80))
            cmds = os.path.join(work, "release")
            with open(cmds, "w") as f:
                for i in range(nslots):
                    key = " ".join(f"{b:02x}" for b in struct.pack("<I", i))
                    f.write(f"map update pinned {maps}/slots key hex {key} value hex {value}\n")
            out = sh(f"bpftool batch file {cmds}", check_rc=False)
            check(out.returncode == 0, f"{tag}all {nslots} slots set to release ({out.stderr.strip()[-300:]})")
        fr = frames()
        for name, (frame, *_rest) in fr.items():
            fn = os.path.join(work, "frame")
            open(fn, "wb").write(frame)
            for prog in ("fe_ingress", "fe_egress"):
                out = sh(f"bpftool prog run pinned {progs}/{prog} data_in {fn} repeat {REPEAT}", check_rc=False)
                check(out.returncode == 0 and "Return value: 0" in out.stdout,
                      f"{tag}{name}: {prog} runs and returns TC_ACT_OK ({out.stdout.strip()} {out.stderr.strip()})")
        # A flow's counts: its slots in the slot table (state used) and its
        # per-CPU values in the overflow hash map, all added up as the exporter does.
        flows = {}

        def add(k, values):
            fk = (k["ip_version"], k["protocol"], k["src_port"], k["dst_port"], k["direction"])
            flows.setdefault(fk, (k, []))[1].extend(values)
        states, touched = {}, []
        for e in json.loads(sh(f"bpftool -j map dump pinned {maps}/slots").stdout):
            v = e["formatted"]["value"]
            states[v["state"]] = states.get(v["state"], 0) + 1
            if v["state"] == 1:
                add(v["key"], [v["value"]])
            elif v["state"] == 2 and (any(v["key"]["src"]) or v["value"]["packets"]):
                touched.append(v)
        if released:
            check(states == {2: nslots} and not touched,
                  f"{tag}every slot still released, none taken or counted into ({states}, {touched[:2]})")
        else:
            check(states.get(1, 0) > 0 and set(states) <= {0, 1}, f"the slot table holds flows ({states})")
        in_hash = 0
        for e in json.loads(sh(f"bpftool -j map dump pinned {maps}/flows").stdout):
            add(e["formatted"]["key"], [v["value"] for v in e["formatted"]["values"] if v["value"]["packets"]])
            in_hash += 1
        if released:
            check(in_hash == 2 * (len(fr) - 1), f"{tag}every flow in the hash map ({in_hash})")
        for name, (frame, key, l3, flags, ttl, tos) in fr.items():
            if key is None:
                continue
            for d in (0, 1):
                got = flows.pop(key + (d,), None)
                if not got:
                    check(False, f"{tag}{name}, direction {d}: flow {key} in the map")
                    continue
                k, slots = got
                addr = (S4, D4) if key[0] == 4 else (S6, D6)
                check(bytes(k["src"][:len(addr[0])]) == addr[0] and bytes(k["dst"][:len(addr[1])]) == addr[1]
                      and not any(k["src"][len(addr[0]):]) and not any(k["dst"][len(addr[1]):]) and k["pad"] == 0,
                      f"{tag}{name}, direction {d}: addresses, zero padding")
                packets = sum(s["packets"] for s in slots)
                octets = sum(s["octets"] for s in slots)
                check((packets, octets) == (REPEAT, REPEAT * l3),
                      f"{tag}{name}, direction {d}: {REPEAT} packets, {REPEAT * l3} octets ({packets}, {octets})")
                f = 0
                for s in slots:
                    f |= s["tcp_flags"]
                check(f == flags and min(s["min_ttl"] for s in slots) == ttl and max(s["max_ttl"] for s in slots) == ttl
                      and all(s["tos"] == tos for s in slots) and all(s["last_ns"] >= s["first_ns"] > 0 for s in slots),
                      f"{tag}{name}, direction {d}: flags 0x{flags:x}, TTL {ttl}, TOS 0x{tos:x}, times ({slots})")
        check(not flows, f"{tag}no other flow in the map ({list(flows)[:4]})")
        ctr = [sum(v["value"] for v in e["formatted"]["values"])
               for e in json.loads(sh(f"bpftool -j map dump pinned {maps}/counters").stdout)]
        check(ctr[0] == 2 * REPEAT * len(fr) and ctr[1] == 2 * REPEAT and ctr[2] == 0,
              f"{tag}counters: {2 * REPEAT * len(fr)} packets seen, {2 * REPEAT} not IP, none truncated ({ctr[:3]})")
        return True
    finally:
        shutil.rmtree(progs, ignore_errors=True)
        shutil.rmtree(maps, ignore_errors=True)




if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs one independent IPFIX decoder over messages written by our encoder
(interop_generate) and compares every value it reports with the values the
generator wrote (expected.json). docs/interop.md says what each tool checks.

Usage: oracle.py {tshark|ipfixdump|fixbuf|nfdump|python_ipfix}
Exit 0: every value matched; 1: a mismatch or a tool failure; 77: the tool
is not installed (tests/install-deps.sh installs them all).
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SKIP = 77
UNSIGNED = {'unsigned8', 'unsigned16', 'unsigned32', 'unsigned64'}
VARLEN = 65535


def skip(why):
    print(f'SKIP: {why}')
    sys.exit(SKIP)


def need(program):
    path = shutil.which(program)
    if not path:
        skip(f'{program} is not installed (tests/install-deps.sh installs it)')
    return path


class Checker:
    """Collects mismatches; fails when any, or when nothing was compared."""

    def __init__(self, tool):
        self.tool = tool
        self.errors = []
        self.values = 0
        self.records = 0

    def eq(self, where, got, want):
        self.values += 1
        if got != want:
            self.errors.append(f'{where}: {self.tool} reads {got!r}, we wrote {want!r}')

    def fail(self, msg):
        self.errors.append(msg)

    def finish(self):
        print(f'{self.tool}: {self.records} records, {self.values} values compared')
        if self.values == 0 or self.records == 0:
            self.errors.append('nothing was compared')
        for e in self.errors[:40]:
            print('MISMATCH', e)
        if len(self.errors) > 40:
            print(f'... and {len(self.errors) - 40} more')
        sys.exit(1 if self.errors else 0)


def want(field):
    """The expected value as a Python value: ints for integers and times."""
    if field['type'] in UNSIGNED or field['type'] == 'dateTimeMilliseconds':
        return int(field['value'])
    return field['value']


def generate(outdir, *args):
    gen = os.environ.get('INTEROP_GENERATE')
    if not gen:
        print('INTEROP_GENERATE is not set: run through meson test')
        sys.exit(1)
    subprocess.run([gen, outdir, *args], check=True, timeout=60)
    with open(os.path.join(outdir, 'expected.json')) as f:
        return json.load(f)['messages']


def data_file(name):
    return os.path.join(os.environ['INTEROP_DATA'], name)


def ms_from_utc(text, fmt):
    dt = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def run(cmd, timeout, **kw):
    """Runs a tool under a hard timeout (libfixbuf-based tools can loop forever)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        print(f'{cmd[0]} did not finish in {timeout} s')
        sys.exit(1)


# ---- tshark ------------------------------------------------------------------------
# cflow field per IANA element id, and how to read its PDML node.
def _int_show(f):
    return int(f.get('show'), 0)


def _str_show(f):
    return f.get('show')


def _hex_value(f):
    return f.get('value', '')


def _sysuptime_ms(f):  # "73862.412000000" seconds
    sec, frac = f.get('show').split('.')
    return int(sec) * 1000 + int(frac[:3])


def _datetime_ms(f):  # "Nov 14, 2023 21:56:40.123000000 UTC"
    s = f.get('show')
    m = re.match(r'(\w+ +\d+, \d+ \d+:\d+:\d+)\.(\d+) UTC$', s)
    return ms_from_utc(m.group(1), '%b %d, %Y %H:%M:%S') + int(m.group(2)[:3])


TSHARK_FIELDS = {
    1: ('cflow.octets', _int_show), 2: ('cflow.packets', _int_show),
    4: ('cflow.protocol', _int_show), 5: ('cflow.tos', _int_show),
    6: ('cflow.tcpflags', _int_show), 7: ('cflow.srcport', _int_show),
    8: ('cflow.srcaddr', _str_show), 10: ('cflow.inputint', _int_show),
    11: ('cflow.dstport', _int_show), 12: ('cflow.dstaddr', _str_show),
    14: ('cflow.outputint', _int_show), 21: ('cflow.timeend', _sysuptime_ms),
    22: ('cflow.timestart', _sysuptime_ms), 32: ('cflow.icmp_type_code_ipv4', _int_show),
    40: ('cflow.octetsexp', _int_show), 41: ('cflow.packetsexp', _int_show),
    42: ('cflow.flowsexp', _int_show), 52: ('cflow.ttl_min', _int_show),
    53: ('cflow.ttl_max', _int_show), 61: ('cflow.direction', _int_show),
    82: ('cflow.if_name', _str_show), 83: ('cflow.if_descr', _str_show),
    96: ('cflow.appl_name', _str_show), 144: ('cflow.flow_exporter', _int_show),
    148: ('cflow.flow_id', _int_show), 160: ('cflow.sys_init_time', _datetime_ms),
    195: ('cflow.ip_dscp', _int_show), 314: ('cflow.section_payload', _hex_value),
}


def _record_fields(flow):
    out = []
    for f in flow:
        if f.get('name') == 'cflow.timedelta':  # wraps timestart and timeend
            out.extend(list(f))
        elif f.get('name'):
            out.append(f)
    return out


def oracle_tshark():
    tshark = need('tshark')
    chk = Checker('tshark')
    with tempfile.TemporaryDirectory() as tmp:
        messages = generate(tmp)
        r = run([tshark, '-n', '-r', os.path.join(tmp, 'ours.pcap'), '-d', 'udp.port==4739,cflow', '-T', 'pdml'], 120)
        if r.returncode != 0:
            chk.fail(f'tshark failed: {r.stderr.strip()}')
            chk.finish()
        root = ET.fromstring(r.stdout)
    packets = [p for p in root.iter('packet')]
    chk.eq('message count', len(packets), len(messages))
    for mi, (pkt, msg) in enumerate(zip(packets, messages)):
        proto = next((p for p in pkt.iter('proto') if p.get('name') == 'cflow'), None)
        if proto is None:
            chk.fail(f'message {mi}: tshark did not decode it as IPFIX')
            continue
        top = {}
        for f in proto.iter('field'):
            top.setdefault(f.get('name'), f)
        chk.eq(f'message {mi} od_id', int(top['cflow.od_id'].get('show')), msg['odid'])
        chk.eq(f'message {mi} sequence', int(top['cflow.sequence'].get('show')), msg['sequence'])
        chk.eq(f'message {mi} export time', int(top['cflow.exporttime'].get('show')), msg['export_time'])
        flows = []
        for s in proto:
            if s.get('name') == '' and s.get('show', '').startswith('Set '):
                flows.extend(f for f in s if f.get('show', '').startswith('Flow '))
        chk.eq(f'message {mi} record count', len(flows), len(msg['records']))
        for ri, (flow, rec) in enumerate(zip(flows, msg['records'])):
            chk.records += 1
            got = _record_fields(flow)
            gi = 0
            for field in rec['fields']:
                where = f'message {mi} record {ri} (template {rec["template"]}) {field["name"]}'
                if field['length'] == VARLEN and field['value'] == '':
                    # tshark shows no item for an empty variable-length field
                    if gi < len(got) and got[gi].get('size') == '0':
                        gi += 1
                    chk.values += 1
                    continue
                if gi >= len(got):
                    chk.fail(f'{where}: tshark shows no more fields')
                    break
                f = got[gi]
                gi += 1
                if field['pen']:
                    # Unknown to tshark: "Enterprise Private entry: (...) Type N: Value (hex bytes)".
                    m = re.search(r'Type (\d+):', f.get('showname', ''))
                    chk.eq(where + ' (element id)', int(m.group(1)) if m else None, field['id'])
                    if field['length'] != VARLEN:
                        chk.eq(where + ' (length)', int(f.get('size')), field['length'])
                    raw = f.get('value', '')
                    chk.eq(where, int(raw, 16) if field['type'] in UNSIGNED else raw, want(field))
                    continue
                name, conv = TSHARK_FIELDS[field['id']]
                chk.eq(where + ' (tshark field)', f.get('name'), name)
                if f.get('name') == name:
                    chk.eq(where, conv(f), want(field))
            if gi != len(got):
                chk.fail(f'message {mi} record {ri}: tshark shows {len(got) - gi} extra fields')
    chk.finish()


# ---- ipfixDump (libfixbuf) -------------------------------------------------------------
def parse_ipfixdump(text):
    """Messages of ipfixDump's text output: header values and data records."""
    msgs = []
    rec = None
    for line in text.splitlines():
        if line.startswith('--- Message Header ---'):
            msgs.append({'records': []})
            rec = None
            continue
        m = re.match(r'export time: (\S+ \S+)\s+observation domain id: (\d+)', line)
        if m:
            msgs[-1]['export_time'] = int(ms_from_utc(m.group(1), '%Y-%m-%d %H:%M:%S') // 1000)
            msgs[-1]['odid'] = int(m.group(2))
            continue
        m = re.match(r'message length: \d+\s+sequence number: (\d+)', line)
        if m:
            msgs[-1]['sequence'] = int(m.group(1))
            continue
        m = re.match(r'\s+count: (\d+)\s+tid:\s+(\d+)', line)
        if m and msgs:
            rec = {'template': int(m.group(2)), 'fields': []}
            msgs[-1]['records'].append(rec)
            continue
        if line.startswith('---'):
            rec = None
            continue
        m = re.match(r'\t\((?:(\d+)/)?(\d+)\)(?: \(S\))?\s+(\S+) : ?(.*)$', line)
        if m and rec is not None:
            rec['fields'].append({'pen': int(m.group(1) or 0), 'id': int(m.group(2)),
                                  'name': m.group(3), 'text': m.group(4)})
    return msgs


def ipfixdump_value(field, text):
    t = field['type']
    if t in UNSIGNED:
        return int(text)
    if t == 'dateTimeMilliseconds':  # "2023-11-14 21:56:40.123"
        base, frac = text.split('.')
        return ms_from_utc(base, '%Y-%m-%d %H:%M:%S') + int(frac[:3])
    if t in ('string', 'octetArray'):  # "(len: N) value"; octets as 0x...
        m = re.match(r'\(len: (\d+)\) ?(.*)$', text, re.S)
        if not m:
            return text
        v = m.group(2)
        if t == 'octetArray':
            v = v[2:] if v.startswith('0x') else v
        if int(m.group(1)) != len(v if t == 'string' else v) // (1 if t == 'string' else 2):
            return f'(length {m.group(1)} disagrees with the value) {v}'
        return v
    return text


def drop_message(src, dst, k):
    """Copies an IPFIX file leaving message k out (a sequence gap)."""
    with open(src, 'rb') as f:
        data = f.read()
    out, pos, i = b'', 0, 0
    while pos < len(data):
        n = int.from_bytes(data[pos + 2:pos + 4], 'big')
        if i != k:
            out += data[pos:pos + n]
        pos, i = pos + n, i + 1
    with open(dst, 'wb') as f:
        f.write(out)


def oracle_ipfixdump():
    dump = need('ipfixDump')
    chk = Checker('ipfixDump')
    with tempfile.TemporaryDirectory() as tmp:
        messages = generate(tmp)
        r = run(['timeout', '10', dump, '--in', os.path.join(tmp, 'ours.ipfix'),
                 '--element-file', data_file('ioam-ies.xml'), '--hexdump=65535'], 20)
        # Control: libfixbuf does notice a gap, so its silence above means something.
        drop_message(os.path.join(tmp, 'ours.ipfix'), os.path.join(tmp, 'gap.ipfix'), 2)
        gap = run(['timeout', '10', dump, '--in', os.path.join(tmp, 'gap.ipfix'), '--stats',
                   '--element-file', data_file('ioam-ies.xml')], 20)
    chk.eq('control: libfixbuf warns about a message left out', 'out of sequence' in gap.stderr, True)
    if r.returncode != 0:
        chk.fail(f'ipfixDump exited {r.returncode}: {r.stderr.strip()}')
    if 'out of sequence' in r.stderr:
        chk.fail('libfixbuf reports a sequence error: ' + r.stderr.strip())
    if '_alienInformationElement' in r.stdout:
        chk.fail('ipfixDump did not learn our enterprise IEs from ioam-ies.xml')
    got = parse_ipfixdump(r.stdout)
    compare_messages(chk, got, messages, ipfixdump_value, header=True)
    chk.finish()


def compare_messages(chk, got, messages, value_of, header):
    """Compares decoded messages (dicts with records of {pen, id, name, text}) in order."""
    chk.eq('message count', len(got), len(messages))
    for mi, (g, msg) in enumerate(zip(got, messages)):
        if header:
            for k in ('odid', 'sequence', 'export_time'):
                if k in g:
                    chk.eq(f'message {mi} {k}', g[k], msg[k])
        chk.eq(f'message {mi} record count', len(g['records']), len(msg['records']))
        for ri, (grec, rec) in enumerate(zip(g['records'], msg['records'])):
            chk.records += 1
            where = f'message {mi} record {ri}'
            chk.eq(where + ' template', grec['template'], rec['template'])
            chk.eq(where + ' field count', len(grec['fields']), len(rec['fields']))
            for gf, field in zip(grec['fields'], rec['fields']):
                w = f'{where} (template {rec["template"]}) {field["name"]}'
                chk.eq(w + ' element', (gf['pen'], gf['id']), (field['pen'], field['id']))
                if 'name' in gf:
                    chk.eq(w + ' name', gf['name'], field['name'])
                chk.eq(w, value_of(field, gf['text']), want(field))


# ---- a small collector written against libfixbuf ------------------------------------------
def oracle_fixbuf():
    prog = os.environ.get('INTEROP_FIXBUF_COLLECT')
    if not prog:
        skip('libfixbuf was not found at configure time (libfixbuf-dev)')
    chk = Checker('libfixbuf collector')
    with tempfile.TemporaryDirectory() as tmp:
        messages = generate(tmp)
        r = run(['timeout', '10', prog, os.path.join(tmp, 'ours.ipfix'), data_file('ioam-ies.xml')], 20)
    if r.returncode != 0:
        chk.fail(f'collector exited {r.returncode}: {r.stderr.strip()}')
    if 'out of sequence' in r.stderr:
        chk.fail('libfixbuf reports a sequence error: ' + r.stderr.strip())
    got = []
    for line in r.stdout.splitlines():
        obj = json.loads(line)
        if 'message' in obj:
            got.append({**obj['message'], 'records': []})
        else:
            got[-1]['records'].append({'template': obj['template'],
                                       'fields': [{**f, 'text': f['value']} for f in obj['fields']]})

    def value_of(field, text):
        return int(text) if field['type'] in UNSIGNED or field['type'] == 'dateTimeMilliseconds' else text
    compare_messages(chk, got, messages, value_of, header=True)
    chk.finish()


# ---- nfdump: nfcapd listening on loopback UDP ---------------------------------------------
def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udp_bound(port):
    """Whether something listens on 127.0.0.1:port (from /proc/net/udp)."""
    want = f'0100007F:{port:04X}'
    try:
        with open('/proc/net/udp') as f:
            return any(line.split()[1] == want for line in f.readlines()[1:])
    except OSError:
        return False


def parse_nfdump_raw(text):
    recs = []
    for line in text.splitlines():
        if line.startswith('Flow Record'):
            recs.append({})
            continue
        m = re.match(r'\s+([a-zA-Z][a-zA-Z ]*?)\s+=\s+(\S+)', line)
        if m and recs:
            recs[-1][m.group(1)] = m.group(2)
    return recs


def nfcapd_run(tmp, *gen_args):
    """Starts nfcapd on a free loopback port, sends our messages to it, stops it.
    Returns (messages, nfcapd log, flow directory)."""
    nfcapd = need('nfcapd')
    flowdir = tempfile.mkdtemp(dir=tmp)
    port = free_udp_port()
    with open(flowdir + '.log', 'w+') as log:
        cap = subprocess.Popen([nfcapd, '-w', flowdir, '-b', '127.0.0.1', '-p', str(port), '-t', '3600'],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            while not udp_bound(port):
                if cap.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError('nfcapd did not start listening: ' + log.read())
                time.sleep(0.05)
            gendir = flowdir + '.gen'
            os.mkdir(gendir)
            messages = generate(gendir, *gen_args, '--send', f'127.0.0.1:{port}')
            time.sleep(0.5)
        finally:
            if cap.poll() is None:
                cap.send_signal(signal.SIGTERM)  # nfcapd writes and closes its file on SIGTERM
            try:
                cap.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(cap.pid, signal.SIGKILL)
                cap.wait()
        log.seek(0)
        return messages, log.read(), flowdir


def nfdump_sequence_failures(nfdump, flowdir, caplog):
    stat = run([nfdump, '-R', flowdir, '-I'], 30)
    m = re.search(r'Sequence failures: (\d+)', stat.stdout)
    n = re.search(r'Sequence Errors: (\d+)', caplog)
    return (int(m.group(1)) if m else None), (int(n.group(1)) if n else None)


def oracle_nfdump():
    need('nfcapd')
    nfdump = need('nfdump')
    chk = Checker('nfdump')
    with tempfile.TemporaryDirectory() as tmp:
        # nfdump counts only the data records of templates it decodes
        # (docs/interop.md): the flow templates, in both observation domains.
        messages, caplog, flowdir = nfcapd_run(tmp, '--flows-only')
        failures = nfdump_sequence_failures(nfdump, flowdir, caplog)
        raw = run([nfdump, '-R', flowdir, '-o', 'raw'], 30)
        # Control: the same stream with message 3 (domain 1) left out must count exactly one
        # failure, or the zero above proves nothing.
        _, gap_log, gap_dir = nfcapd_run(tmp, '--flows-only', '--drop-sent', '3')
        gap_failures = nfdump_sequence_failures(nfdump, gap_dir, gap_log)
    chk.eq('sequence failures (nfdump -I, nfcapd log)', failures, (0, 0))
    chk.eq('control: sequence failures with one message left out', gap_failures, (1, 1))
    recs = parse_nfdump_raw(raw.stdout)
    expected = [(mi, rec) for mi, msg in enumerate(messages) for rec in msg['records']]
    chk.eq('record count', len(recs), len(expected))
    for (mi, rec), got in zip(expected, recs):
        chk.records += 1
        v = {f['name']: want(f) for f in rec['fields']}
        where = f'message {mi} template {rec["template"]}'
        tcp = v['protocolIdentifier'] == 6

        def num(key):
            return int(got[key], 0) if key in got else None
        chk.eq(where + ' octetDeltaCount', num('in bytes'), v['octetDeltaCount'])
        chk.eq(where + ' packetDeltaCount', num('in packets'), v['packetDeltaCount'])
        chk.eq(where + ' protocolIdentifier', num('proto'), v['protocolIdentifier'])
        chk.eq(where + ' sourceIPv4Address', got.get('src addr'), v['sourceIPv4Address'])
        chk.eq(where + ' destinationIPv4Address', got.get('dst addr'), v['destinationIPv4Address'])
        chk.eq(where + ' ingressInterface', num('input'), v['ingressInterface'])
        chk.eq(where + ' egressInterface', num('output'), v['egressInterface'])
        chk.eq(where + ' flowDirection', num('direction'), v['flowDirection'])
        # nfdump's raw output shows ipClassOfService as "src tos" for TCP and
        # as "dst tos" for ICMP records
        chk.eq(where + ' ipClassOfService', num('src tos') if 'src tos' in got else num('dst tos'),
               v['ipClassOfService'])
        if tcp:
            chk.eq(where + ' sourceTransportPort', num('src port'), v['sourceTransportPort'])
            chk.eq(where + ' destinationTransportPort', num('dst port'), v['destinationTransportPort'])
            # nfdump keeps the low 8 bits of tcpControlBits
            chk.eq(where + ' tcpControlBits (low 8 bits)', num('tcp flags'), v['tcpControlBits'] & 0xff)
        else:
            tc = v['icmpTypeCodeIPv4']
            chk.eq(where + ' icmpTypeCodeIPv4', got.get('ICMP'), f'{tc >> 8}.{tc & 0xff}')
    chk.finish()


# ---- python-ipfix --------------------------------------------------------------------------
PY_IPFIX_SCRIPT = r'''
import json, sys
import ipfix.ie, ipfix.message
ipfix.ie.use_iana_default()
# python-ipfix 0.9.7 has no 3- and 7-octet reduced-size integers (its RLE
# table knows 1, 2 and 4 octets): read those IEs as octets.
octets = set(sys.argv[3].split(','))
for line in open(sys.argv[2]):
    spec = line.strip()
    if spec.split('(')[0] in octets:
        spec = spec.split('<')[0] + '<octetArray>[65535]'
    ipfix.ie.for_spec(spec)
msg = ipfix.message.MessageBuffer()
out = []
with open(sys.argv[1], 'rb') as f:
    while True:
        try:
            msg.read_message(f)
        except EOFError:
            break
        m = {'odid': msg.odid, 'sequence': msg.sequence,
             'export_time': int(msg.get_export_time().replace(tzinfo=__import__('datetime').timezone.utc).timestamp()),
             'records': []}
        for rec in msg.namedict_iterator():
            fields = {}
            for k, v in rec.items():
                if isinstance(v, (bytes, bytearray)):
                    v = {'octets': v.hex()}
                elif hasattr(v, 'timestamp'):
                    v = {'ms': round(v.replace(tzinfo=__import__('datetime').timezone.utc).timestamp() * 1000)}
                elif not isinstance(v, (int, str)):
                    v = str(v)
                fields[k] = v
            m['records'].append(fields)
        out.append(m)
json.dump(out, sys.stdout)
'''


def oracle_python_ipfix():
    py = '/usr/bin/python3'
    if not os.access(py, os.X_OK):
        skip('/usr/bin/python3 is missing')
    if subprocess.run([py, '-c', 'import ipfix.message'], capture_output=True).returncode != 0:
        skip('python3-ipfix is not installed')
    chk = Checker('python-ipfix')
    reduced_odd = {'ioamNodeId', 'ioamNodeIdWide', 'ioamOpaqueStateSchemaId'}
    with tempfile.TemporaryDirectory() as tmp:
        messages = generate(tmp)
        r = run(['timeout', '20', py, '-c', PY_IPFIX_SCRIPT, os.path.join(tmp, 'ours.ipfix'),
                 data_file('ioam.iespec'), ','.join(sorted(reduced_odd))], 30)
    if r.returncode != 0:
        chk.fail(f'python-ipfix failed: {r.stderr.strip()}')
        chk.finish()
    got = json.loads(r.stdout)
    chk.eq('message count', len(got), len(messages))
    for mi, (g, msg) in enumerate(zip(got, messages)):
        for k in ('odid', 'sequence', 'export_time'):
            chk.eq(f'message {mi} {k}', g[k], msg[k])
        chk.eq(f'message {mi} record count', len(g['records']), len(msg['records']))
        for ri, (grec, rec) in enumerate(zip(g['records'], msg['records'])):
            chk.records += 1
            chk.eq(f'message {mi} record {ri} field names', sorted(grec), sorted(f['name'] for f in rec['fields']))
            for field in rec['fields']:
                where = f'message {mi} record {ri} (template {rec["template"]}) {field["name"]}'
                v = grec.get(field['name'])
                if isinstance(v, dict) and 'octets' in v:
                    v = int(v['octets'], 16) if field['type'] in UNSIGNED else v['octets']
                    if field['name'] in reduced_odd:
                        chk.eq(where + ' (length)', len(grec[field['name']]['octets']) // 2, field['length'])
                elif isinstance(v, dict) and 'ms' in v:
                    v = v['ms']
                chk.eq(where, v, want(field))
    chk.finish()


if __name__ == '__main__':
    oracles = {'tshark': oracle_tshark, 'ipfixdump': oracle_ipfixdump, 'fixbuf': oracle_fixbuf,
               'nfdump': oracle_nfdump, 'python_ipfix': oracle_python_ipfix}
    if len(sys.argv) != 2 or sys.argv[1] not in oracles:
        print(__doc__)
        sys.exit(2)
    oracles[sys.argv[1]]()

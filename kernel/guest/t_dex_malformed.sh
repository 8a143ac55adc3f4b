#!/bin/bash
# DEX options built by user space (IPV6_HOPOPTS, no IOAM route): the
# transit node B and the destination C handle each one as RFC 9326 and the
# Pre-allocated Trace code do: truncated or inconsistent options are
# dropped, unknown namespaces ignored, unknown extension flags skipped,
# Flags and Reserved ignored, bit 7 ignored, undefined bits unavailable.
. /tests/ioamtest.sh
topo_up

# mkhbh PAYLOAD [OPTLEN]: hop-by-hop header with PadN(2) then the IOAM
# option (type 0x31) whose data is PAYLOAD (IOAM reserved byte, IOAM type,
# DEX header, optional fields), padded to 8n octets.
mkhbh() {
	local payload=$1 optlen=${2:-$(( ${#1} / 2 ))}
	local body total pad hdrlen
	body=$(printf '010031%02x%s' "$optlen" "$payload")
	total=$(( 2 + ${#body} / 2 ))
	pad=$(( (8 - total % 8) % 8 ))
	case $pad in
	0) ;;
	1) body="${body}00" ;;
	*) body="${body}$(printf '01%02x' $((pad - 2)))$(printf '%0*d' $(( (pad - 2) * 2 )) 0)" ;;
	esac
	total=$(( total + pad ))
	hdrlen=$(( total / 8 - 1 ))
	printf '00%02x%s' "$hdrlen" "$body"
}

# case DESC PAYLOAD OPTLEN EXPECT_RX EXPECT_B EXPECT_C [GREP_B]
dex_case() {
	local desc=$1 payload=$2 optlen=$3
	shift 3
	dex_case_hex "$desc" "$(mkhbh "$payload" $optlen)" "$@"
}

# dex_case_hex DESC HBH_HEX EXPECT_RX EXPECT_B EXPECT_C [GREP_B]
dex_case_hex() {
	local desc=$1 hex=$2 rx=$3 eb=$4 ec=$5 want=${6:-}
	echo "  $desc: $hex"
	monitors_start B C && receiver_start || { fail "$desc: monitors"; return; }
	nsx A dexsend -c 3 -i 2000 -H "$hex" db02::2 5000 || fail "$desc: send"
	wait_all
	check "$desc: delivered $rx" eq "$(received)" "$rx"
	check "$desc: B reported $eb" eq "$(nevents B)" "$eb"
	check "$desc: C reported $ec" eq "$(nevents C)" "$ec"
	if [ -n "$want" ]; then
		check "$desc: B event has '$want'" grep -q -- "$want" "$T/B.ev"
	fi
	cp "$T/B.ev" "$T/case-$(echo "$desc" | tr -c 'a-z0-9\n' '_').ev"
}

#      description                   IOAM rsv/type, DEX header, optional fields   optlen rx B C
dex_case "valid, flow and sequence"  0004007b00c080000000aabbccdd00000005 ""   3 3 3 "flow=0xaabbccdd seq=5 hlni="
dex_case "truncated DEX header"      0004007b0000                          ""   0 0 0
dex_case "missing optional field"    0004007b00c08000000011223344          ""   0 0 0
dex_case "option longer than header" 0004007b000080000000                  0x30 0 0 0
dex_case "unknown namespace"         000403e7000080000000                  ""   3 0 0
dex_case "sequence number only"      0004007b0040800000000000004d          ""   3 3 3 "seq=77 hlni="
dex_case "unknown extension flag"    0004007b00a08000000011223344deadbeef  ""   3 3 3 "ns=123 type=0x800000 flow=0x11223344 hlni="
dex_case "Flags and Reserved set"    0004007bff00800000ff                  ""   3 3 3 "hlni=0x3f000002"
dex_case "bit 7 ignored"             0004007b000081000000                  ""   3 3 3 "hlni=0x3f000002$"
dex_case "undefined bit 12"          0004007b000000080000                  ""   3 3 3 "bit12=0xffffffff"
dex_case "reserved bit 23"           0004007b000000000100                  ""   3 3 3

# Hostile options
# all eight Extension-Flags, exactly as long as they announce: flow id and
# sequence number from the first two slots, the six unknown ones skipped
dex_case "extension flags 0xff, exact length" \
	0004007b00ff80000000aabbccdd00000009$(printf '%048d' 0) "" 3 3 3 "flow=0xaabbccdd seq=9 hlni="
# the longest option there is (opt_len 255): trailing octets ignored
dex_case "opt_len 255" 0004007b000080000000$(printf '%0490d' 0) "" 3 3 3 "hlni=0x3f000002"
# two DEX options in one hop-by-hop header: each is reported
dex_case_hex "two IOAM options in one header" \
	00030100310a0004007b000080000000310a0004007b00008000000001020000 3 6 6
# DEX arriving on an interface with ioam6_enabled=0 (C): not reported there
nsx C sysctl -qw net.ipv6.conf.veth0.ioam6_enabled=0
dex_case "DEX where ioam6_enabled=0 (C)" 0004007b000080000000 "" 3 3 0
nsx C sysctl -qw net.ipv6.conf.veth0.ioam6_enabled=1

# The project's own injector (exporters/ioam-inject) builds valid DEX options
if command -v ioam-inject >/dev/null; then
	monitors_start B C && receiver_start
	nsx A ioam-inject --dst db02::2 --port 5000 --mode dex --type 0xc00000 --namespace 123 \
		--flow-id 7 --sequence --count 3 || fail "ioam-inject"
	wait_all
	check "ioam-inject DEX: delivered, 3 events at B and C" eq "$(received)/$(nevents B)/$(nevents C)" "3/3/3"
	check "ioam-inject DEX: flow 7, sequence 0 1 2 at C" \
		eq "$(flowseq C | tr '\n' ' ')" "0x00000007 0 0x00000007 1 0x00000007 2 "
	check "ioam-inject DEX: B's hop limit/node id and interfaces" eq "$(values B hlni) $(values B ifs)" "0x3f000002 0x00150016"
else
	fail "ioam-inject missing (see exporter-build.log)"
fi

check "unknown flag: no sequence number taken from the unknown field" \
	bash -c "! grep -q 'seq=' $T/case-unknown_extension_flag.ev"
check "sequence only: no flow id" bash -c "! grep -q 'flow=' $T/case-sequence_number_only.ev"
check "bit 7: no checksum complement" bash -c "! grep -q 'csum=' $T/case-bit_7_ignored.ev"
finish

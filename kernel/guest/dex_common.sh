#!/bin/bash
# dex_path_check MODE_DESC: after 3 flows x 5 packets from A to C through a
# DEX route (type 0xfef002: bits 0-6, 8-11, 22; flow id + sequence number),
# every node reported every packet with its own data fields.
dex_path_check() {
	local m=$1
	check "$m: C received the 15 datagrams" eq "$(received)" 15
	for n in A B C; do
		check "$m: $n reported 15 DEX events" eq "$(nevents $n)" 15
		check "$m: $n namespace 123, trace type 0xfef002" eq "$(values $n ns)/$(values $n type)" "123/0xfef002"
		check "$m: $n node data as long as the trace type says" no_badlen $n
		check "$m: $n 3 flows, sequence 0..4 each, in order" seq_ok $n 3 5
		check "$m: $n transit delay, buffer occupancy unavailable" \
			eq "$(values $n transit)/$(values $n bufocc)" "0xffffffff/0xffffffff"
		check "$m: $n no checksum complement (RFC 9326)" eq "$(values $n csum)" ""
		if [ $n = A ]; then
			# as in a Pre-allocated Trace (same code): a locally
			# generated packet has no receive timestamp
			check "$m: A timestamps unavailable (local packets)" \
				eq "$(values A ts)/$(values A frac)" "0xffffffff/0xffffffff"
		else
			check "$m: $n timestamps set" timestamps_set $n
		fi
		check "$m: $n has every requested field" eq "$(all_fields $n)" 15
	done
	check "$m: same flows and sequence numbers at A, B and C" same_flowseq
	# hop limit (64 leaves A, decremented on input at B and C) and node id
	check "$m: A hop limit/node id" eq "$(values A hlni)" 0x40000001
	check "$m: B hop limit/node id" eq "$(values B hlni)" 0x3f000002
	check "$m: C hop limit/node id" eq "$(values C hlni)" 0x3e000003
	check "$m: A wide hop limit/node id" eq "$(values A hlni_w)" 0x4010000000000001
	check "$m: B wide hop limit/node id" eq "$(values B hlni_w)" 0x3f20000000000002
	check "$m: C wide hop limit/node id" eq "$(values C hlni_w)" 0x3e30000000000003
	# interfaces: A sends locally (no ingress), B forwards 21 -> 22
	check "$m: A interfaces" eq "$(values A ifs)" 0xffff000b
	check "$m: B interfaces" eq "$(values B ifs)" 0x00150016
	check "$m: C ingress interface" c_ingress
	check "$m: B wide interfaces" eq "$(values B ifs_w)" 0x000003fd000003fe
	check "$m: namespace data" eq "$(values A nsdata)/$(values B nsdata)/$(values C nsdata)" \
		"0xa1a1a1a1/0xb2b2b2b2/0xc3c3c3c3"
	check "$m: wide namespace data" eq "$(values B nsdata_w)" 0xb2b2b2b2b2b2b2b2
	# opaque state snapshot: schema 7 on B, none (0xffffff) elsewhere
	check "$m: opaque state schema ids" \
		eq "$(values A oss_scid)/$(values B oss_scid)/$(values C oss_scid)" \
		"0x00ffffff/0x00000007/0x00ffffff"
	check "$m: opaque state data on B only" \
		eq "$(values A oss_data)/$(values B oss_data)/$(values C oss_data)" "/0102030405060708/"
}

no_badlen() { ! events $1 | grep -q badlen; }
timestamps_set() { ! events $1 | grep -q 'ts=0xffffffff\|frac=0xffffffff'; }
all_fields() {
	events $1 | grep -c 'hlni=.*ifs=.*ts=.*frac=.*transit=.*nsdata=.*qdepth=.*hlni_w=.*ifs_w=.*nsdata_w=.*bufocc=.*oss_scid='
}
same_flowseq() {
	[ "$(flowseq A | sort)" = "$(flowseq B | sort)" ] && [ "$(flowseq B | sort)" = "$(flowseq C | sort)" ]
}
c_ingress() { values C ifs | grep -q '^0x001f'; }

# run_dex_path ROUTE_ARGS...: DEX route on A, 3 flows x 5 packets
run_dex_path() {
	nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 "$@" \
		dex ns 123 type 0xfef002 ext 0xc0 || { fail "route $*"; return 1; }
	monitors_start A B C && receiver_start || { fail "monitors"; return 1; }
	nsx A dexsend -c 5 -f 3 -i 2000 db02::2 5000
	wait_all
}

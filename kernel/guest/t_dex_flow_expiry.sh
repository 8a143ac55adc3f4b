#!/bin/bash
# The DEX flow table's idle expiry at run time (patch 0010:
# IOAM6_DEX_FLOW_IDLE, 30 s of jiffies). Flows F, H and probes E1..E5
# start together (F first in every round: its last packet is the oldest);
# 20 s later H and a third flow G send (G moves the namespace's sequence
# base on). From 31 s after F's last packet the probes send one packet
# each, a few seconds apart, until one has expired (it starts again from
# the base): the kernel's clock has passed the idle time (under TCG on a
# busy host, jiffies lag behind the guest's uptime, so the test asks the
# table instead of trusting a clock). Then F sends: it has expired too,
# and starts again from the sequence base, which is exactly the number of
# sequence numbers A has handed out so far, above where F was. H, idle for
# less than 30 s, kept its place and counts on 1 by 1. No (flow, sequence)
# pair repeats.
. /tests/ioamtest.sh
IDLE=30
PROBES=5
topo_up
nsx A ioam-route route replace db02::/64 via db01::1 dev veth0 encap ioam6 mode inline \
	dex ns 123 type 0x800000 ext 0xc0 || fail "route"
ALL=$T/all
: > "$ALL"
sent=0
# phase NAME COUNT FLOWS SPORT: one batch, its (flow, seq) pairs in $T/NAME
phase() {
	monitors_start C && receiver_start || fail "monitors"
	nsx A dexsend -i 2000 -c "$2" -f "$3" -s "$4" db02::2 5000
	wait_all
	sent=$((sent + $2 * $3))
	flowseq C > "$T/$1"
	cat "$T/$1" >> "$ALL"
	echo "  $1: $(tr '\n' ' ' < "$T/$1")"
}
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
first_seq() { head -1 "$T/$1" | cut -d' ' -f2; }
flow_of() { head -1 "$T/$1" | cut -d' ' -f1; }
# last_seq FLOW FILE: the flow's last sequence number in FILE
last_seq() { awk -v f="$1" '$1 == f { s = $2 } END { print s }' "$2"; }

phase start 3 $((2 + PROBES)) 4200     # F 4200, H 4201, E1.. 4202..
t_f=$(now)                              # F's last packet
sleep 20
phase middle 3 1 4201                   # H
phase other 10 1 4300                   # G
while awk -v a="$t_f" -v b="$(now)" -v i=$IDLE 'BEGIN { exit !(b - a <= i + 1) }'; do sleep 1; done
expired=0
for k in $(seq 1 $PROBES); do
	base=$(wc -l < "$ALL")
	phase probe$k 1 1 $((4201 + k))
	e=$(flow_of probe$k)
	echo "  E$k after $(since "$t_f") s: seq $(first_seq probe$k), it had $(last_seq "$e" "$T/start"), base $base"
	if [ "$(first_seq probe$k)" = "$base" ]; then expired=$k; break; fi
	sleep 3
done
check "a probe flow idle since F's last packet expired (E$expired)" test "$expired" -gt 0
base=$(wc -l < "$ALL")                  # sequence numbers handed out so far
phase again_f 3 1 4200                  # F, expired
phase again_h 3 1 4201                  # H, last seen 20 s after F
echo "  F came back $(since "$t_f") s after its last packet"

F=$(flow_of again_f)
H=$(flow_of again_h)
seqs() { awk -v f="$1" '$1 == f { print $2 }' "$ALL" | tr '\n' ' ' | sed 's/ $//'; }
check "every packet reported once at C" eq "$(wc -l < "$ALL")" "$sent"
check "F and H are flows of the first batch" eq "$(grep -c "^$F \|^$H " "$T/start")" 6
f_last=$(last_seq "$F" "$T/start")
echo "  F: $(seqs "$F"); H: $(seqs "$H"); sequence base before F came back: $base"
check "F expired: it starts again from the namespace's sequence base" eq "$(first_seq again_f)" "$base"
check "F's sequence never goes back" test "$(first_seq again_f)" -gt "$f_last"
check "F after expiry counts 1 by 1" eq "$(awk '{ print $2 }' "$T/again_f" | tr '\n' ' ')" "$base $((base + 1)) $((base + 2)) "
check "H (idle less than 30 s) kept its place: 9 consecutive numbers" \
	bash -c "awk -v f='$H' '\$1 == f { if (n++ && \$2 != last + 1) bad = 1; last = \$2 } END { exit bad || n != 9 }' '$ALL'"
check "no (flow, sequence) pair repeated" eq "$(sort "$ALL" | uniq -d | wc -l)" 0
finish

#!/bin/bash
# disk-suspend.sh - a guest with a disk write in flight saved, restored,
# checkpointed and migrated on the simulator (issue 30): the test guests'
# word "disklog" writes a record to each sector in turn, one request in
# flight, and answers control/shutdown between posting a write and taking
# its answer; asked to suspend (control/feature-suspend, as libxl asks a
# guest with PV drivers) it calls SCHEDOP_shutdown(SHUTDOWN_suspend) with
# that write outstanding. Cancelled (save -c), the call returns 1 and the
# write is answered on the old ring; in a new domain (restore, migration)
# it returns 0 and the frontend connects again and posts the write once
# more. The image must then hold every record the guest counted, each in
# its sector, and nothing past them: no write lost, none misplaced or
# doubled into another sector. A save killed while the guest is suspended
# gives it back, cancelled (the simulator holds the save's lease). Bad
# input: a full disk gives the guest errors, not a hang; an image removed
# under a running guest is written on (the open file, as QEMU's).
. "${top_srcdir:-.}/tests/tap.sh"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
pv_guests
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; umount "$T/full" 2>/dev/null; rm -rf "$T"' EXIT

plan 12

# the records in an image: "N clean" when sectors 0..N-1 hold records 0..N-1 and the rest is zero
records() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
def rec(k):
    return b'DISKLOG:' + struct.pack('<Q', k) + bytes((k * 7 + i * 13 + (k >> 8)) & 255 for i in range(16, 512))
k = 0
while d[k * 512:k * 512 + 8] == b'DISKLOG:':
    if d[k * 512:(k + 1) * 512] != rec(k):
        print(k, 'wrong'); sys.exit()
    k += 1
print(k, 'clean' if not d[k * 512:].strip(b'\0') else 'dirty past them')
PY
}
# what the guest said of its log: records, posted again, resumes, the read-back
# the console log's whole lines: a line the guest is still printing is not one yet
lines() { log "$1" | python3 -c 'import sys; d = sys.stdin.buffer.read(); sys.stdout.buffer.write(d[:d.rfind(b"\n") + 1])'; }
said() { lines "$1" | tr -d '\r' | sed -n 's/^disk: log: //p; s/^disklog: //p' | tr '\n' '|' | sed 's/|$//'; }
summary() { log "$1" | tr -d '\r' | sed -n 's/^disk: log: records //p'; }
# up to 120 s: the log and its read-back take longer under sanitizers on a busy host
wait_done() { local i; for i in $(seq 1200); do lines "$1" | grep -q '^disklog: ' && return 0; sleep 0.1; done; return 1; }
new_img() { rm -f "$1"; truncate -s 16M "$1"; }
writing() { wait_log "$1" '^disk: info'; sleep 0.5; }

# pc: saved to a file mid-write, restored: the frontend reconnects and posts its write again
new_img "$T/pc.img"
"$PXL" create "$EX/pc.cfg" name=pc kernel="$G" 'cmdline="control disklog=6"' memory=64 'vif=[]' \
	"disk=[\"$T/pc.img,raw,xvda,rw\"]" >/dev/null 2>&1
writing pc
out=$("$PXL" save pc "$T/pc.save" 2>&1)
is "save of a guest writing to its disk: it suspends itself (SHUTDOWN_suspend), exit 0, the domain gone" \
	"0|control: suspend|" "$?|$(log pc | tr -d '\r' | grep '^control: suspend')|$(names | sed 's/^Domain-0 *//')"
"$PXL" restore "$T/pc.save" >/dev/null 2>&1
wait_done pc
n=$(summary pc)
is "restored: its suspend call returns 0, it reconnects, posts the write in flight once more, and reads every record back" \
	"control: resumed|records $n|posted again after a resume 1|resumes 1|every record read back once, in its place" \
	"$(log pc | tr -d '\r' | grep '^control: resumed')|$(said pc)"
"$PXL" destroy pc
is "the image after destroy: the $n records the guest counted, each in its sector, nothing past them" \
	"$n clean" "$(records "$T/pc.img")"

# virt: checkpointed (save -c: the suspend cancelled), then migrated live, mid-write
new_img "$T/virt.img"
"$PXL" create "$EX/virt.cfg" name=virt kernel="$A" 'extra="control disklog=6"' 'vcpus=1' \
	"disk=[\"$T/virt.img,raw,xvda,rw\"]" >/dev/null 2>&1
writing virt
"$PXL" save -c virt "$T/virt.save" >/dev/null 2>&1
rc=$?
# the resumed vCPU prints its answer a moment after save returns (later on a slow KVM)
wait_log virt '^control: suspend cancelled'
is "save -c: exit 0, the guest's suspend call returns 1 (cancelled): it writes on over the same ring" \
	"0|control: suspend cancelled 1|running" \
	"$rc|$(log virt | tr -d '\r' | grep '^control: suspend cancelled')|$(field virt state)"
sleep 0.5
out=$("$PXL" migrate --transport=cmd virt "$PXL migrate-receive" 2>&1)
rc=$?
wait_log virt '^control: resumed'
is "migrated while writing: exit 0, resumed in the new domain" "0|control: resumed" \
	"$rc|$(log virt | tr -d '\r' | grep '^control: resumed')"
wait_done virt
n=$(summary virt)
is "after both: one resume, the write in flight posted again once, every record read back" \
	"records $n|posted again after a resume 1|resumes 1|every record read back once, in its place" "$(said virt)"
"$PXL" destroy virt
is "virt: the image holds the $n records, each in its sector, nothing past them" "$n clean" "$(records "$T/virt.img")"

# a save killed while the guest is suspended: the simulator resumes it, cancelled
new_img "$T/k.img"
"$PXL" create "$EX/pc.cfg" name=k kernel="$G" 'cmdline="control disklog=6"' memory=64 'vif=[]' \
	"disk=[\"$T/k.img,raw,xvda,rw\"]" >/dev/null 2>&1
writing k
PHYSMAP_STOP_AT="save: memory and vCPUs" "$PXL" save k "$T/k.save" >/dev/null 2>&1 &
pid=$!
for i in $(seq 300); do [ "$(ps -o stat= -p $pid 2>/dev/null | cut -c1)" = T ] && break; sleep 0.1; done
state=$(field k state)
kill -9 $pid
wait $pid 2>/dev/null
wait_done k
n=$(summary k)
is "a save killed with the guest suspended: it was shut down for suspend, then resumed, cancelled, and wrote on" \
	"shutdown|control: suspend cancelled 1|every record read back once, in its place" \
	"$state|$(log k | tr -d '\r' | grep '^control: suspend cancelled')|$(said k | cut -d'|' -f4)"
"$PXL" destroy k
is "its image: the $n records, nothing past them" "$n clean" "$(records "$T/k.img")"

# bad input: the image's filesystem full (a 256 KiB tmpfs): each write it
# refuses is an error response, the guest says so and stops, no hang;
# physmap-dm's log names the first
mkdir -p "$T/full"
mount -t tmpfs -o size=256k tmpfs "$T/full" || bail "mounting a tmpfs for the full disk (root is needed)"
truncate -s 16M "$T/full/f.img"
"$PXL" create "$EX/pc.cfg" name=f kernel="$G" 'cmdline="control disklog=6"' memory=64 'vif=[]' \
	"disk=[\"$T/full/f.img,raw,xvda,rw\"]" >/dev/null 2>&1
wait_done f
id=$("$PXL" domid f)
is "a full disk: the write answered with an error, the guest stops its log saying so; it runs on" \
	"write failed at record|stopped by an I/O error|running" \
	"$(said f | cut -d'|' -f1 | sed 's/ [0-9]*$//')|$(said f | cut -d'|' -f5)|$(field f state)"
is "physmap-dm's log names the domain, the disk and the reason, once" "1" \
	"$(grep -c "domain $id: /local/domain/0/backend/qdisk/$id/51712: write at sector [0-9]*: No space left on device" \
		"$PHYSMAP_RUNDIR/console/f.dm.log")"
"$PXL" destroy f
for i in $(seq 50); do umount "$T/full" 2>/dev/null && break; sleep 0.1; done

# an image removed while the guest writes: the open file is written on
new_img "$T/gone.img"
"$PXL" create "$EX/pc.cfg" name=g kernel="$G" 'cmdline="control disklog=4"' memory=64 'vif=[]' \
	"disk=[\"$T/gone.img,raw,xvda,rw\"]" >/dev/null 2>&1
writing g
rm "$T/gone.img"
wait_done g
is "an image removed under a writing guest: it writes on to the open file and reads every record back" \
	"every record read back once, in its place" "$(said g | cut -d'|' -f4)"
"$PXL" destroy g

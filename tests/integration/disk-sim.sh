#!/bin/bash
# disk-sim.sh - disks on the simulator, served by the domain's physmap-dm
# (devmodel/xen/blkback.c) to the test guests' block frontend (word
# "disk"), on both boards: the store laid out as libxl lays out a qdisk
# disk, a raw image read bit-exact (the guest's CRC-32 of its first 4 KiB
# is the host's), a write the host sees after destroy, flush, a read past
# the end refused, a read-only disk, block-attach and block-detach on a
# running guest, a frontend posting garbage (errors, then let go) beside
# one that works, an image cut short under its guest (reads past its new
# end are errors), and bad input refused in one line with nothing left.
# Each guest runs its frontend twice: closed, it starts again on the same
# device (Initialising after Closed, as Linux's blkfront does after a
# driver reload) and physmap-dm offers the device anew.
# PM_ENGINE=kvm (disk-sim-kvm.sh): the x86 guest 64-bit on KVM.
. "${top_srcdir:-.}/tests/tap.sh"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
pv_guests

plan 19

# a 1 MiB image of random bytes; what the guest will find and write
img() { head -c 1048576 /dev/urandom >"$1"; }
crc() { python3 -c "import sys, zlib; print(hex(zlib.crc32(open(sys.argv[1], 'rb').read(4096))))" "$1"; }
# whether sectors 8-15 of the image hold the guest's pattern
pattern() {
	python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()[8 * 512:16 * 512]
want = bytes((b'physmap disk test '[i % 18] + i // 512) & 255 for i in range(4096))
print('pattern' if d == want else 'other')
PY
}
disk_log() { log "$1" | tr -d '\r' | sed -n 's/^disk: //p' | tr '\n' '|' | sed 's/|$//'; }

for b in pc virt; do
	img "$T/$b.img"
	if [ $b = pc ]; then
		"$PXL" create "$EX/pc.cfg" name=d$b kernel="$G" 'cmdline="disk disk"' memory=64 'vif=[]' \
			"disk=[\"$T/$b.img,raw,xvda,rw\"]" on_poweroff=preserve >/dev/null 2>&1
	else
		"$PXL" create "$EX/virt.cfg" name=d$b kernel="$A" 'extra="disk disk"' \
			"disk=[\"$T/$b.img,raw,xvda,rw\"]" on_poweroff=preserve >/dev/null 2>&1
	fi
	wait_state d$b shutdown
	one="sectors 2048|info 0|read 0-7 crc32 $(crc "$T/$b.img")|wrote 8-15, read back same|flush 0|past the end -1|done"
	is "$b: the guest reads the raw image bit-exact (its CRC-32 of the first 4 KiB is the host's), writes and reads back, flushes; past the end is an error; closed, it connects again (Initialising) and is served the same" \
		"$one|$one" "$(disk_log d$b)"
	"$PXL" destroy d$b
	is "$b: after destroy the host sees the guest's write in the image" "pattern" "$(pattern "$T/$b.img")"
done

# the store as libxl lays out a qdisk disk, while the guest runs
img "$T/run.img"
"$PXL" create "$EX/pc.cfg" name=run kernel="$G" 'cmdline="control"' memory=64 'vif=[]' \
	"disk=[\"$T/run.img,raw,xvda,rw\"]" >/dev/null 2>&1
wait_log run '^control: ready'
id=$("$PXL" domid run)
be=/local/domain/0/backend/qdisk/$id/51712
is "the backend directory: libxl's keys for a qdisk disk, the image as aio:PATH, physmap-dm's offer, InitWait" \
	"bootable dev device-type discard-alignment discard-enable discard-granularity discard-secure feature-barrier feature-discard feature-flush-cache feature-max-indirect-segments feature-persistent frontend frontend-id info max-ring-page-order mode online params physical-sector-size removable sector-size sectors specification state type|aio:$T/run.img|qdisk|2" \
	"$(xenstore-list $be | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')|$(xenstore-read $be/params)|$(xenstore-read $be/type)|$(xenstore-read $be/state)"
is "the frontend directory: the guest's device/vbd, pointing at it" \
	"backend backend-id device-type state trusted virtual-device|$be|1" \
	"$(xenstore-list /local/domain/$id/device/vbd/51712 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')|$(xenstore-read /local/domain/$id/device/vbd/51712/backend)|$(xenstore-read /local/domain/$id/device/vbd/51712/state)"
img "$T/more.img"
"$PXL" block-attach run "$T/more.img,raw,xvdb,r" >"$T/out" 2>&1
is "block-attach on the running guest: exit 0, physmap-dm offers it read-only (info 4), block-list shows both" \
	"0|2 4|51712 51728" \
	"$?|$(xenstore-read /local/domain/0/backend/qdisk/$id/51728/state /local/domain/0/backend/qdisk/$id/51728/info | tr '\n' ' ' | sed 's/ $//')|$("$PXL" block-list run | awk 'NR > 1 { print $1 }' | tr '\n' ' ' | sed 's/ $//')"
"$PXL" block-detach run xvdb >"$T/out" 2>&1
is "block-detach: exit 0, its directories gone, xvda still there" "0|51712|absent" \
	"$?|$("$PXL" block-list run | awk 'NR > 1 { print $1 }')|$(xenstore-read /local/domain/$id/device/vbd/51728/state 2>/dev/null || echo absent)"
out=$("$PXL" create "$EX/pc.cfg" name=two kernel="$G" 'cmdline="control"' memory=64 'vif=[]' \
	"disk=[\"$T/run.img,raw,xvda,rw\"]" 2>&1)
is "a second guest given the same image read-write: refused in one line, no domain" \
	"1|pxl create: two: disk xvda: $T/run.img is in use by domain $id (run) read-write|run" \
	"$?|$out|$(names | sed 's/^Domain-0 //')"
"$PXL" destroy run
dms() { pgrep -f "physmap-dm --sim .* --rundir $T/" | wc -l; }
for i in $(seq 50); do [ "$(dms)" = 0 ] && break; sleep 0.1; done   # a killed model takes a moment to go
is "destroy: no store entry of its disks, no device model left" "absent|0" \
	"$(xenstore-read /local/domain/0/backend/qdisk/$id 2>/dev/null || echo absent)|$(dms)"

# a read-only disk: the guest reads it; its writes and flushes are errors
img "$T/ro.img"
cp "$T/ro.img" "$T/ro.orig"
"$PXL" create "$EX/pc.cfg" name=ro kernel="$G" 'cmdline="disk"' memory=64 'vif=[]' \
	"disk=[\"$T/ro.img,raw,xvda,r\"]" on_poweroff=preserve >/dev/null 2>&1
wait_state ro shutdown
is "a read-only disk: info 4 (VDISK_READONLY), read bit-exact, the write and flush refused, the image unchanged" \
	"sectors 2048|info 4|read 0-7 crc32 $(crc "$T/ro.img")|wrote 8-15, read back different|flush -1|past the end -1|done|same" \
	"$(disk_log ro)|$(cmp -s "$T/ro.img" "$T/ro.orig" && echo same)"
"$PXL" destroy ro

# a frontend that posts garbage beside one that works: error responses,
# then for a producer index past the ring the device let go, its reason
# logged; the other guest's disk served as before
img "$T/bad.img"
img "$T/good.img"
"$PXL" create "$EX/pc.cfg" name=bad kernel="$G" 'cmdline="diskbad"' memory=64 'vif=[]' \
	"disk=[\"$T/bad.img,raw,xvda,rw\"]" on_poweroff=preserve >/dev/null 2>&1
"$PXL" create "$EX/pc.cfg" name=good kernel="$G" 'cmdline="disk"' memory=64 'vif=[]' \
	"disk=[\"$T/good.img,raw,xvda,rw\"]" on_poweroff=preserve >/dev/null 2>&1
wait_state bad shutdown
wait_state good shutdown
is "garbage: a grant it lacks, sectors outside a page, 12 segments, an unknown operation are errors; an id twice and a good read after them served" \
	"-1|-1|-1|-1|-2|0|0" "$(log bad | tr -d '\r' | sed -n 's/^disk: bad: .* //p' | head -7 | tr '\n' '|' | sed 's/|$//')"
is "a producer index past the ring: the device Closed, physmap-dm's log names the domain and the reason" "6|1" \
	"$(log bad | tr -d '\r' | sed -n 's/^disk: bad: past the ring, the backend.s state //p')|$(grep -c "domain $("$PXL" domid bad): .*producer index .* past the ring" "$PHYSMAP_RUNDIR/console/bad.dm.log")"
is "the other guest, meanwhile: its disk read and written as ever" \
	"sectors 2048|info 0|read 0-7 crc32 $(crc "$T/good.img")|wrote 8-15, read back same|flush 0|past the end -1|done" "$(disk_log good)"
"$PXL" destroy bad
"$PXL" destroy good

# an image cut short under its guest (after physmap-dm offered 2048 sectors): reads past
# its new end are errors, the first logged; a write there extends the file, as on a host
img "$T/cut.img"
"$PXL" create -p "$EX/pc.cfg" name=cut kernel="$G" 'cmdline="disk"' memory=64 'vif=[]' \
	"disk=[\"$T/cut.img,raw,xvda,rw\"]" on_poweroff=preserve >/dev/null 2>&1
truncate -s 0 "$T/cut.img"
"$PXL" unpause cut
wait_state cut shutdown
is "an image cut to nothing under its guest: the read is an error response, no hang; the write after it served" \
	"sectors 2048|info 0|read 0-7 failed -1|wrote 8-15, read back same|flush 0|past the end -1|done" "$(disk_log cut)"
is "physmap-dm's log names the domain, the disk and the short read, once" "1" \
	"$(grep -c "domain $("$PXL" domid cut): .*/51712: read at sector 0: short: the image ends before it" \
		"$PHYSMAP_RUNDIR/console/cut.dm.log")"
"$PXL" destroy cut

# bad input: one line, nothing left
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$G" memory=64 'vif=[]' "disk=[\"$T/none.img,raw,xvda,rw\"]" 2>&1)
is "a disk image that is not there: exit 1, one line naming it, no domain" \
	"1|pxl create: command line:5: disk: \"$T/none.img,raw,xvda,rw\": target $T/none.img: No such file or directory|Domain-0" \
	"$?|$out|$(names)"
out=$("$PXL" create "$EX/pc.cfg" name=bad kernel="$G" memory=64 'vif=[]' "disk=[\"$T/ro.img,qcow2,xvda,rw\"]" 2>&1)
is "a format physmap-dm does not read (qcow2): refused by name before anything is built" \
	"1|1|Domain-0" "$?|$(printf '%s\n' "$out" | grep -c 'format qcow2')|$(names)"
for i in $(seq 50); do [ "$(dms)" = 0 ] && break; sleep 0.1; done
is "at the end: the host's memory whole, no device model" "4096|0" "$(free_mib)|$(dms)"

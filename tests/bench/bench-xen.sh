#!/bin/bash
# tests/bench/bench-xen.sh - make bench's figures from real Xen (the xen
# box): `pxl create` against `xl create` of the same config file (the
# median of 5 each, the same run), the same with a disk and a vif (median
# of 3), a guest's sequential read of a 64 MiB raw image through pxl's
# setup against xl's (two guests each, in turns, the best of their 3
# passes), the same reads (and 4 KiB O_DIRECT ones) by a PVH guest with
# the disk served by physmap-dm (backendtype=qdisk) against dom0's
# blkback, and the
# downtime of a localhost live migration with pxl. JSON lines on stdout, as every benchmark prints.
set -uo pipefail
S=${top_srcdir:-.}
B=${top_builddir:-.}
T=$(mktemp -d)
G=/var/tmp/physmap-bench-xen-$$
mkdir -p "$G"
trap 'rm -rf "$T" "$G"' EXIT
make -C "$B" install DESTDIR="$T/dest" >"$T/install.log" 2>&1 || { echo "bench-xen: make install failed" >&2; exit 1; }
cp "$B/tests/guests/x86/guest.elf" "$B/tests/guests/x86/guest.img" "$G/"
cat > "$T/inside" <<INSIDE
#!/bin/sh
G=$G
INSIDE
cat >> "$T/inside" <<'INSIDE'
export PATH=/usr/local/bin:$PATH LD_LIBRARY_PATH=/usr/local/lib PHYSMAP_CONNECT=xen
ms() { cut -d' ' -f1 /proc/uptime | tr -d . ; }
gone() { for i in $(seq 100); do xl list "$1" >/dev/null 2>&1 || return 0; sleep 0.1; done; }
printf 'name = "b"\ntype = "pvh"\nboard = "pc"\nmemory = 64\nvcpus = 1\nkernel = "%s/guest.elf"\ncmdline = "spin"\ntsc_mode = "native"\n' "$G" > /tmp/b.cfg
for i in 1 2 3 4 5; do
	t0=$(ms); xl create /tmp/b.cfg >/dev/null 2>&1; t1=$(ms); xl destroy b; gone b
	echo "xl: $((t1 - t0))"
	t0=$(ms); pxl create /tmp/b.cfg >/dev/null 2>&1; t1=$(ms); pxl destroy b; gone b
	echo "pxl: $((t1 - t0))"
done
# a PV Linux guest with one disk and one vif: pxl create against xl create
# of the same config (3 each, in turns), and its sequential read of a
# 64 MiB raw image through each tool's setup (two guests each, in turns;
# the best of their 3 passes)
mkdir -p /tmp/rd/bin /tmp/rd/proc /tmp/rd/sys /tmp/rd/dev /tmp/rd/lib
cp /bin/busybox /tmp/rd/bin/; cp /lib/modules/xen-blkfront.ko /lib/modules/xen-netfront.ko /tmp/rd/lib/
cat > /tmp/rd/init <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /lib/xen-blkfront.ko; insmod /lib/xen-netfront.ko
for i in $(seq 40); do [ -e /dev/xvda ] && break; sleep 0.25; done
if grep -q readbench /proc/cmdline; then
	for pass in 1 2 3; do
		sync; echo 3 > /proc/sys/vm/drop_caches   # each pass from the disk, not the guest's page cache
		t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
		dd if=/dev/xvda of=/dev/null bs=1M 2>/dev/null
		t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
		echo "read-cs: $((t1 - t0))"
	done
	for pass in 1 2 3; do   # 4 KiB requests, each to the backend (O_DIRECT): 16 MiB
		t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
		dd if=/dev/xvda of=/dev/null bs=4k count=4096 iflag=direct 2>/dev/null
		t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
		echo "read4k-cs: $((t1 - t0))"
	done
fi
echo "bench done"
poweroff -f
GUEST
chmod +x /tmp/rd/init
(cd /tmp/rd && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/rd.gz
dd if=/dev/urandom of=/tmp/bench.img bs=1M count=64 2>/dev/null
printf 'name = "d"\ntype = "pv"\nmemory = 128\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/rd.gz"\ncmdline = "console=hvc0 quiet"\ndisk = [ "/tmp/bench.img,raw,xvda,r" ]\nvif = [ "bridge=xenbr0" ]\n' > /tmp/d.cfg
for i in 1 2 3; do
	t0=$(ms); xl create /tmp/d.cfg >/dev/null 2>&1; t1=$(ms); xl destroy d; gone d
	echo "xl-dev: $((t1 - t0))"
	t0=$(ms); pxl create /tmp/d.cfg >/dev/null 2>&1; t1=$(ms); pxl destroy d; gone d
	echo "pxl-dev: $((t1 - t0))"
done
# the same reads by a PVH guest (a device model serves PVH guests) with
# the disk served by physmap-dm (backendtype=qdisk, pxl only: xl's qdisk
# is QEMU's) against dom0's blkback through pxl
sed 's/"pv"/"pvh"/' /tmp/d.cfg > /tmp/dh.cfg
for tool in xl pxl xl pxl qdisk pvh qdisk pvh; do
	rm -f /var/log/xen/console/guest-d.log
	case $tool in
	qdisk) pxl create /tmp/dh.cfg 'cmdline="console=hvc0 quiet readbench"' \
		'disk=["/tmp/bench.img,raw,xvda,r,backendtype=qdisk"]' >/dev/null 2>&1 ;;
	pvh) pxl create /tmp/dh.cfg 'cmdline="console=hvc0 quiet readbench"' >/dev/null 2>&1 ;;
	*) $tool create /tmp/d.cfg 'cmdline="console=hvc0 quiet readbench"' >/dev/null 2>&1 ;;
	esac
	for i in $(seq 300); do grep -q 'bench done' /var/log/xen/console/guest-d.log 2>/dev/null && break; sleep 0.2; done
	tr -d '\r' < /var/log/xen/console/guest-d.log | sed -n "s/^read-cs: /$tool-read: /p" | sort -t' ' -k2 -n | head -1
	tr -d '\r' < /var/log/xen/console/guest-d.log | sed -n "s/^read4k-cs: /$tool-read4k: /p" | sort -t' ' -k2 -n | head -1
	xl destroy d >/dev/null 2>&1; gone d
done
printf 'name = "m"\ntype = "pvh"\nboard = "pc"\nmemory = 64\nvcpus = 1\nkernel = "%s/guest.elf"\ncmdline = "workload=4,0"\n' "$G" > /tmp/m.cfg
pxl create /tmp/m.cfg >/dev/null 2>&1
sleep 2
pxl migrate -q --transport=cmd m "pxl migrate-receive" 2>/dev/null | sed -n 's/.*downtime \([0-9.]*\) ms$/downtime: \1/p'
pxl destroy m
INSIDE
out=$("$S/tests/xenbox/xenbox.sh" --install "$T/dest" --add "$G/guest.elf" --add "$G/guest.img" --timeout 700 \
	"$T/inside" 2>"$T/err") || { echo "bench-xen: the xen box failed" >&2; tail -5 "$T/err" >&2; exit 1; }
median() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 10 }'; }
p=$(median pxl) x=$(median xl)
d=$(printf '%s\n' "$out" | sed -n 's/^downtime: //p')
awk -v p="$p" -v x="$x" 'BEGIN {
	printf "{\"name\": \"xen.create_vs_xl\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"xl create, same config, same box\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"reported (issue 9)\", \"met\": true}\n", p, x, x ? p / x : 0 }'
pd=$(median pxl-dev) xd=$(median xl-dev)
awk -v p="$pd" -v x="$xd" 'BEGIN {
	printf "{\"name\": \"xen.create_disk_vif_vs_xl\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"xl create, same config (a raw disk, a vif on xenbr0), same box\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"<= 1.0 (issue 27)\", \"met\": %s}\n", p, x, x ? p / x : 0, (x && p / x <= 1.0 ? "true" : "false") }'
best() { printf '%s\n' "$out" | sed -n "s/^$1-read: //p" | sort -n | head -1; }
pr=$(best pxl) xr=$(best xl)
awk -v p="${pr:-0}" -v x="${xr:-0}" 'BEGIN {
	printf "{\"name\": \"xen.disk_seq_read_64m_vs_xl\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"the same guest reading the same image through xl'"'"'s setup\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"<= 1.05 (issue 27)\", \"met\": %s}\n", p * 10, x * 10, x ? p / x : 0, (x && p && p / x <= 1.05 ? "true" : "false") }'
qr=$(best qdisk) hr=$(best pvh) pr4=$(printf '%s\n' "$out" | sed -n 's/^pvh-read4k: //p' | sort -n | head -1)
qr4=$(printf '%s\n' "$out" | sed -n 's/^qdisk-read4k: //p' | sort -n | head -1)
awk -v q="${qr:-0}" -v p="${hr:-0}" 'BEGIN {
	printf "{\"name\": \"xen.qdisk_seq_read_64m_vs_blkback\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"the same guest reading the same image through dom0'"'"'s blkback\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"reported (issue 30)\", \"met\": %s}\n", q * 10, p * 10, p ? q / p : 0, (q > 0 ? "true" : "false") }'
awk -v q="${qr4:-0}" -v p="${pr4:-0}" 'BEGIN {
	printf "{\"name\": \"xen.qdisk_read_4k_direct_16m_vs_blkback\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"the same 4 KiB O_DIRECT reads through dom0'"'"'s blkback\", \"baseline_value\": %g, \"ratio\": %.3f, \"target\": \"reported (issue 30)\", \"met\": %s}\n", q * 10, p * 10, p ? q / p : 0, (q > 0 ? "true" : "false") }'
awk -v d="${d:-0}" 'BEGIN {
	printf "{\"name\": \"xen.migrate_downtime_localhost\", \"value\": %g, \"unit\": \"ms\", \"baseline\": \"none (TCG, nested: reported)\", \"baseline_value\": 0, \"ratio\": null, \"target\": \"reported (issue 10)\", \"met\": %s}\n", d, (d > 0 ? "true" : "false") }'

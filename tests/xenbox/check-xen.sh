#!/bin/bash
# tests/xenbox/check-xen.sh - `make check-xen`: real Xen 4.17 booted under
# QEMU (the xen box), and physmap's xen backend driving it from dom0, in
# TAP. One boot: the box's own health, then pxl against Xen's own tools
# (xl, xenstored, xenconsoled) as the oracles: the PVH test guest built by
# physmap from the pc board boots, prints through physmap-dm as an ioreq
# server, reads the store; xl sees what pxl made and the reverse; failures
# leave nothing behind.
. "${top_srcdir:-.}/tests/tap.sh"
S=${top_srcdir:-.}
B=${top_builddir:-.}
for t in qemu-system-x86_64 apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || bail "$t missing (scripts/deps.sh installs it)"
done
command -v crash >/dev/null || bail "crash missing (scripts/deps.sh installs it)"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# the guest kernel's vmlinux with its debug information, for crash (fetched once, cached)
VMLINUX=$("$S/tests/xenbox/xenbox.sh" --debug-vmlinux 2>"$T/vmlinux.err") || bail "no debug vmlinux: $(tail -1 "$T/vmlinux.err")"
# physmap as installed, and the test guest, at paths dom0's /tmp does not hide
make -C "$B" install DESTDIR="$T/dest" >"$T/install.log" 2>&1 || bail "make install failed (see $T/install.log)"
G=/var/tmp/physmap-xenbox-$$
mkdir -p "$G"
trap 'rm -rf "$T" "$G"' EXIT
cp "$B/tests/guests/x86/guest.img" "$B/tests/guests/x86/guest.elf" "$G/"
# the test guest's disk for backendtype=qdisk: its first 4 KiB's CRC-32, and what it writes at sector 8
head -c 1048576 /dev/urandom > "$G/qt.img"
QT_CRC=$(python3 -c "import sys, zlib; print(hex(zlib.crc32(open(sys.argv[1], 'rb').read(4096))))" "$G/qt.img")
QT_PATTERN=$(python3 -c "import hashlib; print(hashlib.md5(bytes((b'physmap disk test '[i % 18] + i // 512) & 255 for i in range(4096))).hexdigest())")

cat > "$T/inside" <<INSIDE
#!/bin/sh
G=$G
INSIDE
cat >> "$T/inside" <<'INSIDE'
export PATH=/usr/local/bin:$PATH LD_LIBRARY_PATH=/usr/local/lib PHYSMAP_CONNECT=xen
# no command may hang the run: one that does fails its own case, not every later one
pxl() { timeout -k 5 300 pxl "$@"; }
xl() { timeout -k 5 300 xl "$@"; }
ms() { cut -d' ' -f1 /proc/uptime | tr -d . ; }   # hundredths of a second
state() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
gone() { for i in $(seq 100); do xl list "$1" >/dev/null 2>&1 || return 0; sleep 0.1; done; return 1; }
wait_log() { for i in $(seq 150); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
# a paused guest's core by xl and by pxl (NAME XL_MIB PXL_MIB): their statuses and
# sizes said, the files out through /dev/vda at those offsets
cores() {
	xl dump-core "$1" /tmp/xl.core >/dev/null 2>&1; x=$?
	out=$(pxl dump-core "$1" /tmp/pxl.core 2>&1); echo "$1-dump: $x $? $out|$(state "$1")"
	dd if=/tmp/xl.core of=/dev/vda bs=1M seek="$2" 2>/dev/null; dd if=/tmp/pxl.core of=/dev/vda bs=1M seek="$3" 2>/dev/null
	sync
	echo "$1-dump-bytes: $(stat -c %s /tmp/xl.core) $(stat -c %s /tmp/pxl.core)"
	rm -f /tmp/xl.core /tmp/pxl.core
}
cfg() {   # NAME CMDLINE [KEY=VALUE lines]
	n=$1 c=$2; shift 2
	printf 'name = "%s"\ntype = "pvh"\nboard = "pc"\nmemory = '"${M:-64}"'\nvcpus = 1\nkernel = "%s/guest.elf"\ncmdline = "%s"\n' "$n" "$G" "$c"
	for kv in "$@"; do echo "$kv"; done
}
xl info | sed -n 's/^\(xen_version\|virt_caps\) *: /\1=/p'
echo "list: $(xl list | awk 'NR > 1 { print $1, $2 }' | tr '\n' '|')"
echo "store: $(xenstore-read /local/domain/0/name 2>&1)"
echo "daemons: $(pidof xenstored >/dev/null && echo xenstored) $(pidof xenconsoled >/dev/null && echo xenconsoled)"
echo "pxl-list: $(pxl list 2>&1 | awk 'NR > 1 { print $1, $2 }' | tr '\n' '|')"

# the PVH test guest, built by physmap from the pc board
cfg g1 "store spin" > /tmp/g1.cfg
pxl create /tmp/g1.cfg > /tmp/out 2>&1; rc=$?
echo "create: $rc $(cat /tmp/out)"
wait_log /run/physmap/console/g1.log '^spinning'
echo "banner: $(head -1 /run/physmap/console/g1.log)"
echo "console-dump: $(pxl console --dump g1 2>&1 | head -1)"
echo "pxl-info: $(pxl info -b | awk -F' *: ' '/^physmap_backend/ { b = $2 } /^total_memory/ { t = $2 } END { print b, t }') $(xl info | awk '$1 == "total_memory" { print $3 }')"
# xl's outputs, side by side with xl's own (free memory and times move between the two)
xl info | grep -v '^free_memory' > /tmp/info-xl; pxl info | grep -v '^free_memory' > /tmp/info-pxl
echo "info-diff: $(wc -l < /tmp/info-xl) $(diff /tmp/info-xl /tmp/info-pxl | grep -c '^[<>]')"
diff /tmp/info-xl /tmp/info-pxl | grep '^[<>]' | head -6 | sed 's/^/info-diff-line: /'
xl list | cut -c1-63 > /tmp/list-xl; pxl list | cut -c1-63 > /tmp/list-pxl
echo "list-diff: $(wc -l < /tmp/list-xl) $(diff /tmp/list-xl /tmp/list-pxl | grep -c '^[<>]') $(pxl list | tail -n +2 | grep -vc '^.\{40\} [ 0-9]\{5\} [ 0-9]\{5\} [ 0-9]\{5\}     [-rbpscwSd]\{6\}  [ 0-9]\{6\}\.[0-9]$')"
diff /tmp/list-xl /tmp/list-pxl | grep '^[<>]' | head -4 | sed 's/^/list-diff-line: /'
pxl list | tail -n +2 | grep -v '^.\{40\} [ 0-9]\{5\} [ 0-9]\{5\} [ 0-9]\{5\}     [-rbpscwSd]\{6\}  [ 0-9]\{6\}\.[0-9]$' | head -3 | sed 's/^/list-diff-line: /'
xl uptime | cut -c1-38 | sed 's/^/uptime-xl: /'; pxl uptime | cut -c1-38 | sed 's/^/uptime-pxl: /'
echo "list-v: $(xl list -v g1 | awk 'NR == 2 { print $7, $8, $9 }') | $(pxl list -v g1 | awk 'NR == 2 { print $7, $8, $9 }')"
xl vm-list > /tmp/vm-xl; pxl vm-list > /tmp/vm-pxl
echo "vm-list-diff: $(wc -l < /tmp/vm-xl) $(diff /tmp/vm-xl /tmp/vm-pxl | grep -c '^[<>]')"
echo "vcpu-list: $(xl vcpu-list g1 | awk 'NR > 1 { print $1, $2, $3, $4, $7, $8, $9 }') | $(pxl vcpu-list g1 | awk 'NR > 1 { print $1, $2, $3, $4, $7, $8, $9 }') | $(xl vcpu-list | head -1 | md5sum | cut -c1-8) $(pxl vcpu-list | head -1 | md5sum | cut -c1-8)"
xl claims 2>/dev/null | awk '{ print $1, $2, $NF }' > /tmp/cl-xl; pxl claims 2>/dev/null | awk '{ print $1, $2, $NF }' > /tmp/cl-pxl
echo "claims: $(wc -l < /tmp/cl-xl) $(diff /tmp/cl-xl /tmp/cl-pxl | grep -c '^[<>]') $(head -1 /tmp/cl-pxl)"
xl cpupool-list > /tmp/pool-xl; pxl cpupool-list > /tmp/pool-pxl
echo "cpupool: $(wc -l < /tmp/pool-xl) $(diff /tmp/pool-xl /tmp/pool-pxl | grep -c '^[<>]') $(pxl cpupool-list -c | tail -1 | cut -c20-)"
pxl sched-credit2 -d g1 -w 512 -c 50; echo "c2-set: $?"
xl sched-credit2 -d g1 > /tmp/c2-xl; pxl sched-credit2 -d g1 > /tmp/c2-pxl
echo "c2: $(tail -1 /tmp/c2-xl | awk '{ print $3, $4 }') $(diff /tmp/c2-xl /tmp/c2-pxl | grep -c '^[<>]')"
xl sched-credit2 > /tmp/c2a-xl; pxl sched-credit2 > /tmp/c2a-pxl; echo "c2-all: $(wc -l < /tmp/c2a-xl) $(diff /tmp/c2a-xl /tmp/c2a-pxl | grep -c '^[<>]')"
pxl debug-keys h; echo "debug-keys: $? $(xl dmesg | grep -c "'h' pressed")"
xl sched-credit > /tmp/sc-xl 2>/dev/null; sx=$?; pxl sched-credit > /tmp/sc-pxl 2>/dev/null; sy=$?
xl pci-list g1 > /tmp/pl-xl 2>&1; pxl pci-list g1 > /tmp/pl-pxl 2>&1; xl pci-assignable-list > /tmp/pa-xl 2>/dev/null; pxl pci-assignable-list > /tmp/pa-pxl 2>/dev/null
xl sharing > /tmp/sh-xl 2>&1; pxl sharing > /tmp/sh-pxl 2>&1; xl getenforce > /tmp/ge-xl 2>&1; x=$?; pxl getenforce > /tmp/ge-pxl 2>&1
echo "sharing-flask: $(diff /tmp/sh-xl /tmp/sh-pxl | grep -c '^[<>]') $(cmp -s /tmp/ge-xl /tmp/ge-pxl && echo same) $x $? $(head -1 /tmp/ge-xl)"
echo "credit-pci: $sx $sy $(cmp -s /tmp/sc-xl /tmp/sc-pxl && echo same) $(cmp -s /tmp/pl-xl /tmp/pl-pxl && echo same) $(cmp -s /tmp/pa-xl /tmp/pa-pxl && echo same)"
xl dmesg > /tmp/dmesg-xl; pxl dmesg > /tmp/dmesg-pxl
echo "dmesg: $([ -s /tmp/dmesg-xl ] && head -c "$(wc -c < /tmp/dmesg-xl)" /tmp/dmesg-pxl | cmp -s - /tmp/dmesg-xl && echo same)"
echo "uptime: $(xl uptime | cut -c1-38 | md5sum | cut -c1-8) $(pxl uptime | cut -c1-38 | md5sum | cut -c1-8) $(pxl uptime | wc -l)"
echo "memory: $(grep '^memory: 0x' /run/physmap/console/g1.log | tr '\n' '|')"
echo "guest-store: $(grep '^store:' /run/physmap/console/g1.log)"
echo "xl-sees: $(xl list g1 | awk 'NR == 2 { print $1, $3, $4 }')"
echo "pxl-sees: $(pxl list | awk '$1 == "g1" { print $1, $3, $4 }')"
echo "e820-guest: $(pxl e820 g1 2>&1 | md5sum | cut -c1-8) e820-board: $(pxl e820 /tmp/g1.cfg 2>&1 | md5sum | cut -c1-8)"
echo "e820-lines: $(pxl e820 g1 2>&1 | wc -l)"
echo "p2m: $(pxl p2m g1 2>&1 | awk 'NR > 1 { print $1, $2 }' | tr '\n' '|')"
echo "p2m-frames: $(pxl p2m g1 2>&1 | sed -n 2p | sed 's/.*  //')"
pxl pause g1; echo "paused: $? $(state g1)"
pxl unpause g1; echo "unpaused: $? $(state g1)"
echo "dm-running: $(pidof physmap-dm | wc -w)"
pxl destroy g1; echo "destroy: $?"
gone g1; echo "after-destroy: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')| $(xenstore-ls /local/domain 2>/dev/null | grep -c '^[0-9]') dm=$(sleep 1; pidof physmap-dm | wc -w)"

# on_poweroff = destroy: Xen leaves that to the toolstack (pxl's monitor)
cfg g2 "" > /tmp/g2.cfg
pxl create /tmp/g2.cfg >/dev/null 2>&1
wait_log /run/physmap/console/g2.log 'powering off'
gone g2; echo "poweroff-destroyed: $? $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"

# Xen's grant table and memory map as the test guest asks for them (words
# gnttab, memmap): the simulator's suites hold it to the same lines
cfg gt "gnttab memmap" 'on_poweroff = "preserve"' > /tmp/gt.cfg
pxl create /tmp/gt.cfg >/dev/null 2>&1
wait_log /run/physmap/console/gt.log '^physdev_op'
tr -d '\r' < /run/physmap/console/gt.log > /tmp/gt.log
echo "gnttab: $(sed -n 's/^gnttab: //p' /tmp/gt.log | grep -v '^entry [01]:\|^frame 0 at pfn' | tr '\n' '|')"
echo "memmap: $(sed -n 's/^memmap: //p' /tmp/gt.log | tr '\n' '|')$(sed -n 's/^\(memory_map\|physdev_op\): //p' /tmp/gt.log | tr '\n' '|')"
pxl destroy gt

# Xen's xl, side by side: one config file (the guest's ELF: xl loads PVH
# kernels by their notes; xl ignores board, pxl warns of tsc_mode) for both
printf 'name = "x1"\ntype = "pvh"\nboard = "pc"\nmemory = 64\nvcpus = 1\nkernel = "%s/guest.elf"\ncmdline = "spin"\ntsc_mode = "native"\n' "$G" > /tmp/same.cfg
t0=$(ms); xl create /tmp/same.cfg >/tmp/xlout 2>&1; rc=$?; t1=$(ms)
echo "xl-create: $rc"
echo "xl-create-cs: $((t1 - t0))"
t0=$(ms); pxl create /tmp/same.cfg name=p1 >/tmp/out 2>&1; rc=$?; t1=$(ms)
echo "pxl-same: $rc"
echo "pxl-create-cs: $((t1 - t0))"
sleep 1
echo "side-by-side: $(xl list | awk '$1 == "x1" || $1 == "p1" { print $1, $3, $4, $5 }' | tr '\n' '|')"
echo "pxl-sees-xl: $(pxl list 2>&1 | awk '$1 == "x1" { print $1, $4 }')"
pxl destroy x1; echo "pxl-destroys-xl: $? $(gone x1 && echo gone)"
xl destroy p1; echo "xl-destroys-pxl: $? $(gone p1 && echo gone) $(sleep 1; pidof physmap-dm | wc -w) $(xenstore-ls /local/domain | grep -c '^[0-9]')"

# Debian's Linux as a PVH guest, built by pxl from the pc board (the
# bzImage's payload is its vmlinux, entered at its PVH note), with a
# busybox initramfs made here; its balloon driver answers mem-set
mkdir -p /tmp/lin/bin /tmp/lin/proc /tmp/lin/sys
cp /bin/busybox /tmp/lin/bin/
printf '#!/bin/busybox sh\n/bin/busybox --install -s /bin\nmount -t proc proc /proc\ndmesg | sed -n "s/.*Xen: \\[mem/map: [mem/p"\necho "linux up: $(head -1 /proc/meminfo)"\nwhile :; do sleep 5; done\n' > /tmp/lin/init
chmod +x /tmp/lin/init
(cd /tmp/lin && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/lin.gz
printf 'name = "lx"\ntype = "pvh"\nboard = "pc"\nmemory = 256\nvcpus = 1\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/lin.gz"\ncmdline = "console=hvc0 quiet"\n' > /tmp/lx.cfg
pxl create /tmp/lx.cfg >/tmp/out 2>&1; echo "linux-create: $? $(cat /tmp/out)"
wait_log /var/log/xen/console/guest-lx.log 'linux up'; echo "linux-up: $(grep -c 'linux up: MemTotal' /var/log/xen/console/guest-lx.log)"
mib() { xl list lx | awk 'NR == 2 { print $3 }'; }
echo "linux-mem: $(mib)"
pxl mem-set -w lx 128m >/dev/null; rc=$?
for i in $(seq 150); do [ "$(mib)" -le 136 ] && break; sleep 0.2; done; echo "linux-down: $rc $(mib)"
pxl mem-set -w lx 256m >/dev/null; rc=$?
for i in $(seq 150); do [ "$(mib)" -ge 248 ] && break; sleep 0.2; done; echo "linux-up-again: $rc $(mib)"
pxl destroy lx; gone lx; echo "linux-gone: $?"

# dump-core: a paused Linux PVH guest's core by xl and by pxl, out through
# /dev/vda (at 128 MiB and 288 MiB) for crash and the comparison
printf 'name = "dc"\ntype = "pvh"\nmemory = 128\nvcpus = 2\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/lin.gz"\ncmdline = "console=hvc0 quiet nokaslr"\n' > /tmp/dc.cfg
pxl create /tmp/dc.cfg >/dev/null 2>&1; wait_log /var/log/xen/console/guest-dc.log 'linux up'
pxl pause dc
cores dc 128 288
pxl destroy dc; gone dc

# maxvcpus: a Linux PVH guest with one of its two vCPUs online (the other
# listed disabled in its MADT, as libxl lists it); pxl vcpu-set writes
# cpu/1/availability as libxl does. Linux makes CPU 1 present on it (its
# cpu_hotplug.c) and the init onlines a present CPU as a distribution's
# udev rule does; without the ACPI processor objects and Xen's CPU-map GPE
# that libxl's libacpi adds, Linux does not know CPU 1's APIC ID and
# refuses it ("bad cpu"): what it said is shown, not asserted
mkdir -p /tmp/hp/bin /tmp/hp/proc /tmp/hp/sys
cp /bin/busybox /tmp/hp/bin/
cat > /tmp/hp/init <<'HPINIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
while :; do
	for c in /sys/devices/system/cpu/cpu[1-9]*; do [ "$(cat $c/online 2>/dev/null)" = 0 ] && echo 1 > $c/online; done
	echo "cpus: $(cat /sys/devices/system/cpu/online)"
	sleep 1
done
HPINIT
chmod +x /tmp/hp/init
(cd /tmp/hp && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/hp.gz
printf 'name = "hp"\ntype = "pvh"\nmemory = 128\nvcpus = 1\nmaxvcpus = 2\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/hp.gz"\ncmdline = "console=hvc0 quiet"\n' > /tmp/hp.cfg
# what the guest NAME says its CPUs are; each of its vCPUs offline (p) or not (-), in Xen's view
cpus_of() { tr -d '\r' < /var/log/xen/console/guest-$1.log | grep '^cpus: ' | tail -1; }
vstates() { xl vcpu-list "$1" | awk 'NR > 1 { print substr($5, 3, 1) }' | tr -d '\n'; }
avail() { xenstore-read /local/domain/$(xl domid hp)/cpu/1/availability; }
pxl create /tmp/hp.cfg >/dev/null 2>&1; wait_log /var/log/xen/console/guest-hp.log 'cpus: '
echo "hp-boot: $(cpus_of hp)|$(vstates hp)|$(xl list hp | awk 'NR == 2 { print $4 }')|$(avail)"
pxl vcpu-set -i hp 2; x=$?; a=$(avail); sleep 3
echo "hp-guest: $(cpus_of hp) $(tr -d '\r' < /var/log/xen/console/guest-hp.log | grep -m1 'cpu 1\|CPU 1\|cpu1' | sed 's/^\[ *[0-9.]*\] //')"
pxl vcpu-set hp 1; echo "hp-store: $x $a $? $(avail)"
pxl destroy hp; gone hp
# the same as a PV guest: Linux's PV CPU bring-up needs no ACPI, so the
# whole round trips
printf 'name = "hq"\ntype = "pv"\nmemory = 128\nvcpus = 1\nmaxvcpus = 2\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/hp.gz"\ncmdline = "console=hvc0 quiet"\n' > /tmp/hq.cfg
pxl create /tmp/hq.cfg >/dev/null 2>&1; wait_log /var/log/xen/console/guest-hq.log 'cpus: '
echo "hq-boot: $(cpus_of hq)|$(vstates hq)|$(xl list hq | awk 'NR == 2 { print $4 }')"
pxl vcpu-set -i hq 2; x=$?
for i in $(seq 150); do [ "$(cpus_of hq)" = "cpus: 0-1" ] && break; sleep 0.2; done
echo "hq-up: $x $(cpus_of hq)|$(vstates hq)|$(xl list hq | awk 'NR == 2 { print $4 }')"
pxl vcpu-set hq 1; x=$?
for i in $(seq 150); do [ "$(cpus_of hq)" = "cpus: 0" ] && [ "$(vstates hq)" = "-p" ] && break; sleep 0.2; done
echo "hq-down: $x $(cpus_of hq)|$(vstates hq)"
pxl destroy hq; gone hq

# the same kernel as a PV guest: libxenguest's builder; its P2M is its own
printf 'name = "pv"\ntype = "pv"\nmemory = 256\nvcpus = 1\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/lin.gz"\ncmdline = "console=hvc0 quiet"\n' > /tmp/pv.cfg
pxl create /tmp/pv.cfg >/tmp/out 2>&1; echo "pv-create: $? $(sed 's/domain [0-9]*$/domain N/' /tmp/out)"
wait_log /var/log/xen/console/guest-pv.log 'linux up'; echo "pv-up: $(grep -c 'linux up: MemTotal' /var/log/xen/console/guest-pv.log)"
echo "pv-e820: $(pxl e820 pv 2>&1 | tr '\n' '|')"
echo "pv-map-seen: $(grep '^map: ' /var/log/xen/console/guest-pv.log | tr -d '\r' | tr '\n' '|')"
pxl p2m pv > /tmp/p2m 2>&1
echo "pv-p2m: $(awk 'NR > 1 && $1 != "Xen'"'"'s" { print $1 }' /tmp/p2m | uniq | tr '\n' ' ')| $(awk '$1 == "ram" { n++ } END { print n }' /tmp/p2m)"
echo "pv-m2p: $(sed -n "s/^Xen's M2P: //p" /tmp/p2m)"
pxl mem-set -w pv 128m >/dev/null
for i in $(seq 150); do [ "$(xl list pv | awk 'NR == 2 { print $3 }')" -le 136 ] && break; sleep 0.2; done
pxl p2m pv > /tmp/p2m 2>&1
echo "pv-ballooned: $(xl list pv | awk 'NR == 2 { print $3 }') $(awk '$1 == "missing" { n++ } END { print n + 0 }' /tmp/p2m) $(sed -n "s/^Xen's M2P: //p" /tmp/p2m)"
# its core, ballooned, by xl and by pxl (out at 448 MiB and 608 MiB)
pxl pause pv
cores pv 448 608
pxl destroy pv; gone pv; echo "pv-gone: $?"
# dom0 is a PV guest too, and Linux identity-maps its E820 holes in its own
# P2M and moves the RAM it had there above its end (the remap of the seed
# discussion): pxl p2m reads that as it reads a domU's
pxl p2m 0 > /tmp/p2m0 2>&1; echo "dom0-p2m: $? $(awk 'NR > 1 && $1 != "Xen'"'"'s" { print $1 }' /tmp/p2m0 | uniq | head -3 | tr '\n' ' ')"
echo "dom0-identity: $(awk '$1 == "identity" { print $2, $3; exit }' /tmp/p2m0)"
echo "dom0-moved: $(awk '$1 == "ram" { last = $3 } END { print last }' /tmp/p2m0)"
echo "dom0-m2p: $(sed -n "s/^Xen's M2P: //p" /tmp/p2m0)"

# save, restore and localhost live migration of a PVH guest running the
# memory workload (a page that comes back wrong stops it saying so)
oks() { grep -c '^workload: [0-9]* rounds over .* ok' /run/physmap/console/s1.log; }
more_oks() { n=$1; for i in $(seq 150); do [ "$(oks)" -gt "$((n + 2))" ] && return 0; sleep 0.2; done; return 1; }
M=32 cfg s1 "workload=4,0" > /tmp/s1.cfg
pxl create /tmp/s1.cfg >/dev/null 2>&1
more_oks 0
pxl save -c s1 /tmp/s1.save >/tmp/out 2>&1; echo "save: $? $(state s1 | cut -c1-3) $(cut -d' ' -f1 /tmp/out)"
dd if=/tmp/s1.save of=/dev/vda bs=1M 2>/dev/null; sync; echo "save-bytes: $(stat -c %s /tmp/s1.save)"
pxl destroy s1; gone s1
n=$(oks)
pxl restore /tmp/s1.save >/tmp/out 2>&1; echo "restore: $? $(sed 's/domain [0-9]*/domain N/' /tmp/out)"
more_oks "$n"; echo "restored-runs: $? $(state s1 | cut -c3) $(grep -c 'crash\|does not hold' /run/physmap/console/s1.log)"
old=$(xl domid s1); n=$(oks)
pxl migrate --transport=cmd s1 "pxl migrate-receive" >/tmp/out 2>/dev/null; rc=$?
echo "migrate: $rc $(grep -c '^migrated s1: [0-9]* rounds, .* downtime [0-9.]* ms$' /tmp/out) $(sed -n 's/.*downtime \([0-9.]*\) ms$/\1/p' /tmp/out)"
echo "migrated: $([ "$(xl domid s1)" != "$old" ] && echo moved) $(xl list | awk 'NR > 1 { print $1 }' | grep -c -- '--') $(pidof physmap-dm | wc -w)"
more_oks 0; echo "migrated-runs: $? $(grep -c 'crash\|does not hold' /run/physmap/console/s1.log)"
pxl destroy s1; gone s1

# disks and networks (xl's disk= and vif=): a PV Linux guest with a raw
# image and a vif on xenbr0, made by pxl, and the same config made by xl
# beside it (its own image): the guest reads its disk bit for bit, pings
# dom0 and the other guest, writes; xl lists pxl's devices; both leave
# nothing behind when destroyed by either tool
mkdir -p /tmp/dev/bin /tmp/dev/proc /tmp/dev/sys /tmp/dev/dev /tmp/dev/lib
cp /bin/busybox /tmp/dev/bin/
cp /lib/modules/xen-blkfront.ko /lib/modules/xen-netfront.ko /tmp/dev/lib/
cat > /tmp/dev/init <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /lib/xen-blkfront.ko; insmod /lib/xen-netfront.ko
ip=$(sed -n 's/.*guestip=\([0-9.]*\).*/\1/p' /proc/cmdline)
for i in $(seq 20); do [ -e /sys/block/xvda ] && [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
echo "disk: $(cat /sys/block/xvda/size) $(md5sum < /dev/xvda | cut -d' ' -f1)"
ip link set eth0 up; ip addr add $ip/24 dev eth0
echo "mac: $(cat /sys/class/net/eth0/address)"
echo "ping-dom0: $(ping -c 2 -W 3 10.0.0.1 | grep -c 'bytes from')"
echo "written by $ip" | dd of=/dev/xvda bs=512 seek=100 conv=notrunc 2>/dev/null; sync
echo "wrote"
trap 'poweroff -f' USR2
last=
while :; do
	[ -n "$pinged" ] || { ping -c 1 -W 2 "$(sed -n 's/.*peer=\([0-9.]*\).*/\1/p' /proc/cmdline)" >/dev/null 2>&1 && pinged=1 && echo "ping-peer: 1"; }
	# disks and vifs come and go (block-attach, network-detach, ...): say so
	now="$(ls /sys/block | tr '\n' ' ')|$(ls /sys/class/net | tr '\n' ' ')"
	if [ "$now" != "$last" ]; then
		last=$now
		echo "devs: $now"
		[ -e /sys/block/xvdb ] && echo "xvdb: $(cat /sys/block/xvdb/size) $(md5sum < /dev/xvdb | cut -d' ' -f1)"
		if [ -e /sys/class/net/eth1 ] && ! ip addr show eth1 | grep -q inet; then
			ip link set eth1 up; ip addr add "${ip%.*}.$((${ip##*.} + 10))/24" dev eth1
			echo "eth1-ping: $(ping -c 2 -W 3 -I eth1 10.0.0.1 | grep -c 'bytes from')"
		fi
	fi
	# alive: the disk's second MiB read past the page cache, and dom0 answers
	t=$((t + 1))
	echo "tick $t $(dd if=/dev/xvda bs=1M skip=1 count=1 iflag=direct 2>/dev/null | md5sum | cut -c1-8) $(ping -c 1 -W 1 10.0.0.1 | grep -c 'bytes from')"
	sleep 1
done
GUEST
chmod +x /tmp/dev/init
(cd /tmp/dev && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/dev.gz
dd if=/dev/urandom of=/tmp/d1.img bs=1M count=8 2>/dev/null
cp /tmp/d1.img /tmp/d2.img
echo "img-md5: $(md5sum < /tmp/d1.img | cut -d' ' -f1)"
printf 'name = "dv"\ntype = "pv"\nmemory = 128\nvcpus = 1\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/dev.gz"\ncmdline = "console=hvc0 quiet guestip=10.0.0.2 peer=10.0.0.3"\ndisk = [ "/tmp/d1.img,raw,xvda,rw" ]\nvif = [ "bridge=xenbr0" ]\n' > /tmp/dv.cfg
sed 's/"dv"/"xv"/; s/d1.img/d2.img/; s/guestip=10.0.0.2 peer=10.0.0.3/guestip=10.0.0.3 peer=10.0.0.2/' /tmp/dv.cfg > /tmp/xv.cfg
t0=$(ms); pxl create /tmp/dv.cfg >/tmp/out 2>&1; rc=$?; t1=$(ms)
echo "dev-create: $rc $(sed 's/domain [0-9]*$/domain N/' /tmp/out)"
echo "dev-create-cs: $((t1 - t0))"
t0=$(ms); xl create /tmp/xv.cfg >/tmp/xlout 2>&1; rc=$?; t1=$(ms)
echo "dev-xl-create: $rc"
echo "dev-xl-create-cs: $((t1 - t0))"
wait_log /var/log/xen/console/guest-dv.log '^wrote'; wait_log /var/log/xen/console/guest-xv.log '^wrote'
wait_log /var/log/xen/console/guest-dv.log '^ping-peer'
g() { tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n "s/^$2: //p" | head -1; }
echo "dev-disk: $(g dv disk)"
echo "dev-ping: $(g dv ping-dom0) $(g dv ping-peer) $(g xv ping-dom0)"
echo "dev-mac: $(g dv mac) $(xenstore-read /local/domain/0/backend/vif/$(xl domid dv)/0/mac)"
echo "dev-blist: $(xl block-list dv | awk 'NR == 2 { print $1, $2, $4 }')"
echo "dev-nlist: $(xl network-list dv | awk 'NR == 2 { print $1, $2, $3, $5 }')"
keys() {   # DOMID: the key names and permissions of its devices' directories, as xenstore-ls -p shows them
	xenstore-ls -fp | sed -n "s|^/local/domain/0/backend/\(v[a-z]*\)/$1/\([0-9]*\)\(/[^ ]*\)\{0,1\} = .*(\(.*\))\$|be \1/\2\3 \4|p
		s|^/local/domain/$1/device/\(v[a-z]*\)/\([0-9]*\)\(/[^ ]*\)\{0,1\} = .*(\(.*\))\$|fe \1/\2\3 \4|p
		s|^/libxl/$1/device/\(v[a-z]*\)/\([0-9]*\)\(/[^ ]*\)\{0,1\} = .*(\(.*\))\$|rec \1/\2\3 \4|p" |
		sed "s/r$1/rD/; s/n$1/nD/" | sort
}
keys "$(xl domid dv)" > /tmp/keys-pxl; keys "$(xl domid xv)" > /tmp/keys-xl
echo "dev-keys: $(wc -l < /tmp/keys-xl) $(comm -3 /tmp/keys-xl /tmp/keys-pxl | wc -l)"
comm -3 /tmp/keys-xl /tmp/keys-pxl | head -10 | sed 's/^/dev-keys-diff: /'
for d in dv xv; do tr -d '\r' < /var/log/xen/console/guest-$d.log | grep . | tail -6 | sed "s/^/dev-log-$d: /"; done
echo "dev-loops: $(losetup -a | wc -l) $(ls /sys/class/net/xenbr0/brif | wc -l)"
# hot-plug on the running guest: a second disk (read-only) and a second vif, and away again
lastdevs() { tr -d '\r' < /var/log/xen/console/guest-${gd:-dv}.log | sed -n 's/^devs: //p' | tail -1; }
wait_devs() { for i in $(seq 100); do lastdevs | grep -q -- "$1" && return 0; sleep 0.2; done; return 1; }
# save -c, save and restore, migration of DOM (its disk IMG), said as
# PREFIX-...: the guest suspends itself when asked (it says
# control/feature-suspend), and on the other side its disk and vif, made
# again from the configuration the stream carries, reconnect. MIGRATE:
# pxl migrate's options.
# xenconsoled names a log after the domain when it first sees it: a
# migrated one's is NAME--incoming's (as with xl)
tick() { cat /var/log/xen/console/guest-$1.log /var/log/xen/console/guest-$1--incoming.log 2>/dev/null |
	tr -d '\r' | sed -n 's/^tick //p' | tail -1; }
alive_after() {   # DOM N WANT: a tick after N shows the disk's bytes and a ping; $seen: that tick
	# (a later tick may miss one ping of -W 1 under TCG: report the one that proved it)
	for i in $(seq 200); do t=$(tick $1); seen=${t#* }; [ "${t%% *}" -gt "$2" ] 2>/dev/null && [ "$seen" = "$3 1" ] && return 0; sleep 0.2; done
	return 1
}
survives() {   # DOM IMG PREFIX [MIGRATE...]
	d=$1 img=$2 p=$3; shift 3
	w=$(dd if=/tmp/$img bs=1M skip=1 count=1 2>/dev/null | md5sum | cut -c1-8)
	echo "$p-want: $w"
	n=$(tick $d | cut -d' ' -f1)
	pxl save -c $d /tmp/$d.save >/tmp/out 2>&1; echo "$p-save-c: $? $(cut -d' ' -f1 /tmp/out)"; rm -f /tmp/$d.save
	alive_after $d "$n" $w; echo "$p-save-c-runs: $? $seen"
	n=$(tick $d | cut -d' ' -f1)
	pxl save $d /tmp/$d.save >/tmp/out 2>&1; echo "$p-save: $? $(cut -d' ' -f1 /tmp/out) $(losetup -a | grep -c $img)"
	pxl restore /tmp/$d.save >/tmp/out 2>&1; echo "$p-restore: $? $(sed 's/domain [0-9]*/domain N/' /tmp/out)"
	rm -f /tmp/$d.save
	alive_after $d "$n" $w; echo "$p-restored-runs: $? $seen"
	n=$(tick $d | cut -d' ' -f1)
	pxl migrate --transport=cmd "$@" $d "pxl migrate-receive" >/tmp/out 2>/dev/null; echo "$p-migrate: $?"
	alive_after $d "$n" $w
	echo "$p-migrated-runs: $? $seen $(losetup -a | grep -c $img) $(xl list | awk 'NR > 1 { print $1 }' | grep -c -- '--')"
}
dd if=/dev/urandom of=/tmp/d3.img bs=1M count=4 2>/dev/null
echo "hot-img: $(md5sum < /tmp/d3.img | cut -d' ' -f1)"
pxl block-attach dv /tmp/d3.img,raw,xvdb,r; echo "hot-battach: $?"
wait_log /var/log/xen/console/guest-dv.log '^xvdb: '; echo "hot-xvdb: $(g dv xvdb)"
echo "hot-blist: $(pxl block-list dv | awk 'NR > 1 { print $1, $4 }' | tr '\n' '|') $(xl block-list dv | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
echo "hot-kept: $(xenstore-read /vm/$(xl domid dv)/config | grep -c '"vdev": "xvdb"')"
pxl block-detach dv xvdb; echo "hot-bdetach: $?"
wait_devs '^xvda |'; echo "hot-bgone: $? $(losetup -a | grep -c d3.img) $(xenstore-read /vm/$(xl domid dv)/config | grep -c '"vdev": "xvdb"')"
# a script of the user's (script=), run as libxl runs one: here a wrapper of xl's block
printf '#!/bin/sh\necho "$1 $XENBUS_PATH" >> /tmp/wrap.log\nexec /etc/xen/scripts/block "$@"\n' > /etc/xen/scripts/block-wrap
chmod +x /etc/xen/scripts/block-wrap
pxl block-attach dv script=block-wrap,vdev=xvdc,access=r,target=/tmp/d3.img; echo "hot-script: $?"
wait_devs 'xvdc'; echo "hot-script-dev: $? $(sed 's|/local/domain/0/backend/vbd/[0-9]*/|BE/|' /tmp/wrap.log | tr '\n' '|') $(xenstore-read /local/domain/0/backend/vbd/$(xl domid dv)/51744/script)"
pxl block-detach dv xvdc; echo "hot-script-gone: $? $(sed 's|/local/domain/0/backend/vbd/[0-9]*/|BE/|' /tmp/wrap.log | tr '\n' '|') $(losetup -a | grep -c d3.img)"
pxl network-attach dv bridge=xenbr0 mtu=1400; echo "hot-nattach: $?"
wait_log /var/log/xen/console/guest-dv.log '^eth1-ping'; echo "hot-eth1: $(g dv eth1-ping) $(cat /sys/class/net/vif$(xl domid dv).1/mtu)"
echo "hot-nlist: $(pxl network-list dv | awk 'NR > 1 { print $1, $5 }' | tr '\n' '|') $(xl network-list dv | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
pxl network-detach dv 1; echo "hot-ndetach: $?"
wait_devs '|eth0 lo $'; echo "hot-ngone: $? $(ls /sys/class/net/xenbr0/brif | wc -l)"
out1=$(pxl block-detach dv xvdz 2>&1); echo "hot-nosuch: $? $out1"
# a PV guest: libxenguest's stream; live needs shadow paging, which this Xen lacks
pxl migrate --transport=cmd dv "pxl migrate-receive" >/dev/null 2>/tmp/err
echo "pv-live: $? $(xl list | awk 'NR > 1 { print $1 }' | grep -c '^dv$') $(xl list | awk 'NR > 1 { print $1 }' | grep -c -- '--')| $(head -1 /tmp/err)"
survives dv d1.img pv --non-live
dvid=$(xl domid dv)
pxl destroy dv; echo "dev-destroy: $?"
gone dv
echo "dev-wrote: $(dd if=/tmp/d1.img bs=512 skip=100 count=1 2>/dev/null | head -1 | tr -d '\0')"
echo "dev-left: $(xenstore-ls -f / | grep -c "/$dvid/\|/$dvid\$") loops=$(losetup -a | wc -l) brif=$(ls /sys/class/net/xenbr0/brif | wc -l)"
# xl destroys what pxl made, and pxl what xl made: quietly, nothing left
pxl create /tmp/dv.cfg >/dev/null 2>&1
xl destroy dv >/tmp/xlout 2>&1; echo "dev-xl-destroys: $? $(grep -c . /tmp/xlout)"
pxl destroy xv; echo "dev-pxl-destroys: $?"
gone dv; gone xv; sleep 1
echo "dev-after: $(xenstore-ls -f / | grep -c '/backend\|^/libxl') loops=$(losetup -a | wc -l) brif=$(ls /sys/class/net/xenbr0/brif | wc -l)"
# refused before anything is made: a disk another domain writes, a bridge that is not there
pxl create /tmp/dv.cfg >/dev/null 2>&1
out=$(pxl create /tmp/dv.cfg name=dv2 2>&1); echo "dev-in-use: $? $(echo "$out" | wc -l) $out"
out=$(pxl create /tmp/dv.cfg name=dv3 'disk=[]' 'vif=["bridge=nosuch"]' 2>&1); echo "dev-no-bridge: $? $(echo "$out" | wc -l) $out"
out=$(pxl create /tmp/dv.cfg name=dv4 'disk=["/tmp/nosuch.img,raw,xvda,rw"]' 2>&1); echo "dev-no-target: $? $(echo "$out" | wc -l) $out"
echo "dev-refused-left: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')| loops=$(losetup -a | wc -l)"
pxl destroy dv; gone dv

# the same devices on PVH guests, pxl's and xl's from one config side by side
sed 's/"dv"/"dh"/; s/"pv"/"pvh"/; s/d1.img/d4.img/; s/guestip=10.0.0.2 peer=10.0.0.3/guestip=10.0.0.4 peer=10.0.0.5/' /tmp/dv.cfg > /tmp/dh.cfg
sed 's/"dh"/"xh"/; s/d4.img/d5.img/; s/guestip=10.0.0.4 peer=10.0.0.5/guestip=10.0.0.5 peer=10.0.0.4/' /tmp/dh.cfg > /tmp/xh.cfg
echo 'tsc_mode = "native"' >> /tmp/xh.cfg   # xl's PVH guests under TCG need it (notes/xen-box.md); pxl's have it
dd if=/dev/urandom of=/tmp/d4.img bs=1M count=8 2>/dev/null
cp /tmp/d4.img /tmp/d5.img
echo "pvh-img-md5: $(md5sum < /tmp/d4.img | cut -d' ' -f1)"
pxl create /tmp/dh.cfg >/tmp/out 2>&1; echo "pvh-create: $? $(sed 's/domain [0-9]*$/domain N/' /tmp/out)"
xl create /tmp/xh.cfg >/tmp/xlout 2>&1; echo "pvh-xl-create: $?"
wait_log /var/log/xen/console/guest-dh.log '^wrote'; wait_log /var/log/xen/console/guest-xh.log '^wrote'
wait_log /var/log/xen/console/guest-dh.log '^ping-peer'
echo "pvh-disk: $(g dh disk)"
echo "pvh-ping: $(g dh ping-dom0) $(g dh ping-peer) $(g xh ping-dom0)"
keys "$(xl domid dh)" > /tmp/keys-pxl; keys "$(xl domid xh)" > /tmp/keys-xl
echo "pvh-keys: $(wc -l < /tmp/keys-xl) $(comm -3 /tmp/keys-xl /tmp/keys-pxl | wc -l)"
comm -3 /tmp/keys-xl /tmp/keys-pxl | head -10 | sed 's/^/pvh-keys-diff: /'
for d in dh xh; do tr -d '\r' < /var/log/xen/console/guest-$d.log | grep . | tail -6 | sed "s/^/pvh-log-$d: /"; done
gd=dh
pxl block-attach dh /tmp/d3.img,raw,xvdb,r; echo "pvh-battach: $?"
wait_log /var/log/xen/console/guest-dh.log '^xvdb: '; echo "pvh-xvdb: $(g dh xvdb)"
pxl block-detach dh xvdb; echo "pvh-bdetach: $?"
wait_devs '^xvda |'; echo "pvh-bgone: $? $(losetup -a | grep -c d3.img)"
# xl adds devices to pxl's guest (libxl's userdata for it is there), and list -l is libxl's JSON
echo "pvh-userdata: $(ls /var/lib/xen/userdata-d.$(xl domid dh).*.libxl-json 2>/dev/null | wc -l)"
xl block-attach dh /tmp/d3.img,raw,xvdb,r >/tmp/xlout 2>&1; echo "pvh-xl-battach: $? $(head -1 /tmp/xlout)"
for i in $(seq 100); do [ "$(tr -d '\r' < /var/log/xen/console/guest-dh.log | grep -c '^xvdb: ')" -ge 2 ] && break; sleep 0.2; done
echo "pvh-xl-xvdb: $(tr -d '\r' < /var/log/xen/console/guest-dh.log | sed -n 's/^xvdb: //p' | tail -1)"
xl block-detach dh xvdb >/tmp/xlout 2>&1; echo "pvh-xl-bdetach: $? $(head -1 /tmp/xlout)"
wait_devs '^xvda |'; echo "pvh-xl-bgone: $? $(losetup -a | grep -c d3.img)"
norm() { sed 's/"name": "[^"]*"/"name": N/; s/"uuid": "[^"]*"/"uuid": U/; s/"mac": "[^"]*"/"mac": M/; s/"pdev_path": "[^"]*"/"pdev_path": P/; s/"cmdline": "[^"]*"/"cmdline": C/; s/^        "domid": [0-9]*/        "domid": D/' | grep -v '"claim_mode"\|"tsc_mode"'; }
pxl list -l dh | norm > /tmp/ll-pxl; xl list -l xh | norm > /tmp/ll-xl
echo "pvh-list-l: $(wc -l < /tmp/ll-xl) $(diff /tmp/ll-xl /tmp/ll-pxl | grep -c '^[<>]') $(pxl list -l dh | grep -c '"claim_mode": "False"')"
diff /tmp/ll-xl /tmp/ll-pxl | grep '^[<>]' | head -8 | sed 's/^/pvh-list-l-diff: /'
pxl network-attach dh bridge=xenbr0; echo "pvh-nattach: $?"
wait_log /var/log/xen/console/guest-dh.log '^eth1-ping'; echo "pvh-eth1: $(g dh eth1-ping)"
pxl network-detach dh 1; echo "pvh-ndetach: $?"
wait_devs '|eth0 lo $'; echo "pvh-ngone: $? $(ls /sys/class/net/xenbr0/brif | wc -l)"
survives dh d4.img pvh
dhid=$(xl domid dh)
pxl destroy dh; echo "pvh-destroy: $?"
xl destroy xh; gone dh; gone xh; sleep 1
echo "pvh-wrote: $(dd if=/tmp/d4.img bs=512 skip=100 count=1 2>/dev/null | head -1 | tr -d '\0')"
echo "pvh-left: $(xenstore-ls -f / | grep -c '/backend/\|^/libxl/') loops=$(losetup -a | wc -l) brif=$(ls /sys/class/net/xenbr0/brif | wc -l) userdata=$(ls /var/lib/xen/userdata-d.$dhid.* 2>/dev/null | wc -l)"
xenstore-ls -f / | grep '/backend/\|^/libxl/' | head -5 | sed 's/^/pvh-left-key: /'

# backendtype=qdisk: the disk served by the domain's physmap-dm (grants
# through libxengnttab, its channel through libxenevtchn) instead of
# blkback; Linux's blkfront reads it and writes, as does the test guest's
dd if=/dev/urandom of=/tmp/q1.img bs=1M count=8 2>/dev/null
echo "qd-img-md5: $(md5sum < /tmp/q1.img | cut -d' ' -f1)"
printf 'name = "qd"\ntype = "pvh"\nmemory = 128\nvcpus = 1\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/dev.gz"\ncmdline = "console=hvc0 quiet guestip=10.0.0.6 peer=10.0.0.7"\ndisk = [ "/tmp/q1.img,raw,xvda,rw,backendtype=qdisk" ]\n' > /tmp/qd.cfg
pxl create /tmp/qd.cfg >/tmp/out 2>&1; echo "qd-create: $? $(sed 's/domain [0-9]*$/domain N/' /tmp/out)"
wait_log /var/log/xen/console/guest-qd.log '^wrote'
qid=$(xl domid qd)
echo "qd-disk: $(g qd disk)"
echo "qd-be: $(xenstore-read /local/domain/0/backend/qdisk/$qid/51712/state /local/domain/0/backend/qdisk/$qid/51712/type | tr '\n' ' ')$(xl block-list qd | awk 'NR == 2 { print $1, $4 }')"
pxl destroy qd; gone qd; sleep 1
echo "qd-wrote: $(dd if=/tmp/q1.img bs=512 skip=100 count=1 2>/dev/null | head -1 | tr -d '\0')"
cp "$G/qt.img" /tmp/qt.img
cfg qt "disk" 'disk = [ "/tmp/qt.img,raw,xvda,rw,backendtype=qdisk" ]' 'on_poweroff = "preserve"' > /tmp/qt.cfg
pxl create /tmp/qt.cfg >/dev/null 2>&1
wait_log /run/physmap/console/qt.log '^disk: done'
echo "qt-disk: $(tr -d '\r' < /run/physmap/console/qt.log | sed -n 's/^disk: //p' | tr '\n' '|')"
pxl destroy qt; gone qt; sleep 1
echo "qt-wrote: $(dd if=/tmp/qt.img bs=512 skip=8 count=8 2>/dev/null | md5sum | cut -d' ' -f1)"
echo "qd-left: $(xenstore-ls -f / | grep -c '/backend/\|^/libxl/') dm=$(pidof physmap-dm | wc -w)"
# a filesystem on a qdisk disk survives a reboot of the guest: its first
# boot makes ext2 on it (busybox's mke2fs), writes a file and reboots
# (reboot -f: SHUTDOWN_reboot); the monitor builds it again
# (on_reboot=restart), a new physmap-dm serves the disk, and the second
# boot finds the file whole, then powers off
mkdir -p /tmp/fs/bin /tmp/fs/proc /tmp/fs/sys /tmp/fs/dev /tmp/fs/lib /tmp/fs/mnt
cp /bin/busybox /tmp/fs/bin/
for m in xen-blkfront crc16 crc32c_generic mbcache jbd2 ext4; do cp /lib/modules/$m.ko /tmp/fs/lib/; done
cat > /tmp/fs/init <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in xen-blkfront crc16 crc32c_generic mbcache jbd2 ext4; do insmod /lib/$m.ko; done
for i in $(seq 20); do [ -e /sys/block/xvda ] && break; sleep 0.5; done
if mount -t ext2 /dev/xvda /mnt 2>/dev/null && [ -f /mnt/data ]; then
	echo "fs-found: $(md5sum < /mnt/data | cut -c1-8) boots $(cat /mnt/boots)"
	umount /mnt
	poweroff -f
fi
mke2fs -q /dev/xvda && mount -t ext2 /dev/xvda /mnt || { echo "fs-made: failed"; poweroff -f; }
dd if=/dev/urandom of=/mnt/data bs=64k count=16 2>/dev/null
echo 1 > /mnt/boots
echo "fs-made: $(md5sum < /mnt/data | cut -c1-8)"
umount /mnt; sync
reboot -f
GUEST
chmod +x /tmp/fs/init
(cd /tmp/fs && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/fs.gz
rm -f /tmp/fs.img; truncate -s 32M /tmp/fs.img
printf 'name = "fsq"\ntype = "pvh"\nmemory = 128\nvcpus = 1\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/fs.gz"\ncmdline = "console=hvc0 quiet"\ndisk = [ "/tmp/fs.img,raw,xvda,rw,backendtype=qdisk" ]\non_poweroff = "preserve"\n' > /tmp/fsq.cfg
pxl create /tmp/fsq.cfg >/dev/null 2>&1
fid=$(xl domid fsq)
for i in $(seq 600); do grep -q '^fs-found' /var/log/xen/console/guest-fsq.log 2>/dev/null && break; sleep 0.2; done
echo "fsq: $(g fsq fs-made)|$(g fsq fs-found)|$([ "$(xl domid fsq 2>/dev/null)" != "$fid" ] && echo rebooted)"
pxl destroy fsq; gone fsq; sleep 1
echo "fsq-left: $(xenstore-ls -f / | grep -c '/backend/\|^/libxl/') dm=$(pidof physmap-dm | wc -w)"

# a guest's end (docs/specs/lifecycle.md): a PVH Linux guest asked
# through control/shutdown (its /sbin/poweroff signals this init), the
# monitor destroying or restarting it; the test guest's control word for
# crash and rename-restart
mkdir -p /tmp/lc/bin /tmp/lc/sbin /tmp/lc/proc
cp /bin/busybox /tmp/lc/bin/
cat > /tmp/lc/init <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
ln -s /bin/busybox /sbin/poweroff
mount -t proc proc /proc
trap 'echo "init: poweroff"; poweroff -f' USR2
echo "up: $(cut -d' ' -f1 /proc/uptime)"
while :; do sleep 1; done
GUEST
chmod +x /tmp/lc/init
(cd /tmp/lc && find . | cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/lc.gz
printf 'name = "lc"\ntype = "pvh"\nmemory = 128\nkernel = "/boot/vmlinuz"\nramdisk = "/tmp/lc.gz"\ncmdline = "console=hvc0 quiet"\n' > /tmp/lc.cfg
ups() { tr -d '\r' < /var/log/xen/console/guest-lc.log 2>/dev/null | grep -c '^up: '; }
# the control driver says its features once the guest is up
feat() { for i in $(seq 150); do [ "$(xenstore-read /local/domain/$(xl domid lc 2>/dev/null)/control/feature-poweroff 2>/dev/null)" = 1 ] && return 0; sleep 0.2; done; return 1; }
pxl create /tmp/lc.cfg >/dev/null 2>&1; feat; wait_log /var/log/xen/console/guest-lc.log '^up: '
id=$(xl domid lc)
pxl shutdown -w lc >/tmp/out 2>&1; echo "lc-shutdown: $? $(sed "s/\(has been\) .*/\1/" /tmp/out | tr '\n' '|')"
gone lc; echo "lc-gone: $? $(tr -d '\r' < /var/log/xen/console/guest-lc.log | grep -c '^init: poweroff')"
rm -f /var/log/xen/console/guest-lc.log
pxl create /tmp/lc.cfg >/dev/null 2>&1; feat; wait_log /var/log/xen/console/guest-lc.log '^up: '
id=$(xl domid lc)
pxl reboot lc >/dev/null 2>&1; echo "lc-reboot: $?"
for i in $(seq 150); do id2=$(xl domid lc 2>/dev/null); [ -n "$id2" ] && [ "$id2" != "$id" ] && [ "$(ups)" -ge 2 ] && break; sleep 0.2; done
echo "lc-rebooted: $([ "${id2:-0}" -gt "$id" ] && echo yes) $(ups) $(sed -n 's/.*lc: domain [0-9]* \(rebooted: restart\)$/\1/p' /run/physmap/console/lc.monitor.log | head -1)"
feat
xl shutdown lc >/dev/null 2>&1; echo "lc-xl-shutdown: $?"
gone lc; echo "lc-xl-gone: $? $(grep -c 'powered off: destroy' /run/physmap/console/lc.monitor.log)"
pxl create /tmp/lc.cfg on_poweroff=preserve >/dev/null 2>&1; feat
id=$(xl domid lc)
xenstore-rm /local/domain/$id/control/feature-poweroff
out=$(pxl shutdown lc 2>&1); echo "lc-no-control: $? $(echo "$out" | wc -l) $(state lc)"
pxl shutdown -F -w lc >/tmp/out 2>&1; echo "lc-F: $? $(tail -1 /tmp/out | sed "s/ $id / N /") $(state lc | cut -c4)"
xl trigger lc nmi >/dev/null 2>&1; x=$?; pxl trigger lc nmi >/dev/null 2>&1; echo "trigger: $x $?"
pxl destroy lc; gone lc
cfg tg "control" 'on_crash = "rename-restart"' > /tmp/tg.cfg
pxl create /tmp/tg.cfg >/dev/null 2>&1; wait_log /run/physmap/console/tg.log '^control: ready'
id=$(xl domid tg)
xenstore-write /local/domain/$id/control/shutdown crash
for i in $(seq 150); do id2=$(xl domid tg 2>/dev/null); [ -n "$id2" ] && [ "$id2" != "$id" ] && break; sleep 0.2; done
kept=$(xl list | awk -v id="$id" '$2 == id { print $1 }')
echo "tg-rename-restart: $(echo "$kept" | grep -c '^tg-[0-9]\{8\}T[0-9]\{4\}Z$') $(xl list | awk -v id="$id" '$2 == id { print $5 }') $([ "${id2:-0}" -gt "$id" ] && echo yes)"
pxl destroy tg; pxl destroy "$kept"; gone tg
cfg tc "control" 'on_crash = "coredump-destroy"' > /tmp/tc.cfg
pxl create /tmp/tc.cfg >/dev/null 2>&1; wait_log /run/physmap/console/tc.log '^control: ready'
xenstore-write /local/domain/$(xl domid tc)/control/shutdown crash
gone tc; x=$?; wait_log /run/physmap/console/tc.monitor.log 'destroyed'
echo "tc-coredump: $x $(head -c 4 /var/lib/xen/dump/tc 2>&1 | od -An -c | tr -d ' ') $(grep -c 'tc: core dumped: [0-9]* pages, 1 vCPUs' /run/physmap/console/tc.monitor.log)"
# pxl's monitors (a forked pxl create each; dom0 has no pgrep)
monitors() { for p in /proc/[0-9]*; do tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q 'pxl create' && echo "$p"; done | wc -l; }
echo "lc-left: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')| $(monitors)"

# exit statuses side by side: each command with xl and with pxl, on
# success and on its documented errors (no such domain, bad values,
# missing arguments); dom0's rename and create's unreadable or missing
# config are apart: pxl's are the project's (bad input is 1, usage 2)
same=0
while IFS= read -r c; do
	timeout 20 xl $c >/dev/null 2>&1 </dev/null; x=$?
	timeout 20 pxl $c >/dev/null 2>&1 </dev/null; p=$?
	if [ "$x" = "$p" ]; then same=$((same + 1)); else echo "status-diff: $c: xl $x, pxl $p"; fi
done <<'CMDS'
list
list nosuch
list -l nosuch
info
info -n
domid nosuch
domid Domain-0
domname 999
domname 0
pause nosuch
unpause nosuch
destroy nosuch
destroy 0
shutdown nosuch
reboot nosuch
shutdown
rename nosuch x
vcpu-list nosuch
vcpu-pin nosuch 0 0
vcpu-pin 0 9 0
vcpu-set nosuch 1
vcpu-set 0 99
mem-set nosuch 64
mem-max nosuch 64
mem-set 0 lots
sysrq nosuch s
trigger nosuch nmi
trigger 0 bogus
save nosuch /tmp/x
restore /nonexistent
migrate nosuch localhost
dump-core nosuch /tmp/x
dump-core 0 /tmp/x
block-list nosuch
network-list nosuch
block-attach nosuch /tmp/x,raw,xvda
network-detach nosuch 0
uptime nosuch
uptime
vm-list
claims
cpupool-list
cpupool-list nosuch
dmesg
sched-credit2
sched-credit2 -d nosuch
sched-credit
debug-keys h
button-press nosuch power
pci-list nosuch
pci-assignable-list
config-update nosuch
sharing nosuch
sharing
getenforce
setenforce 1
console nosuch
pause
bogus-command
config-update nosuch memory=64
set-parameters loglvl=all
set-parameters guest_loglvl=all noler
set-parameters nosuchparam=1
set-parameters
trigger 0 s3resume
trigger nosuch s3resume
CMDS
echo "status-same: $same"
timeout 20 xl rename Domain-0 xx >/dev/null 2>&1; a=$?; xl rename xx Domain-0 >/dev/null 2>&1; pxl rename Domain-0 x >/dev/null 2>&1; b=$?
xl create /nonexistent.cfg >/dev/null 2>&1; c=$?; pxl create /nonexistent.cfg >/dev/null 2>&1; d=$?
xl create >/dev/null 2>&1 </dev/null; e=$?; pxl create >/dev/null 2>&1; f=$?
echo "status-apart: $a $b $c $d $e $f"

# failures leave the host clean
free0=$(xl info | awk '$1 == "free_memory" { print $3 }')
M=8192 cfg bad1 "" > /tmp/bad1.cfg   # memory set once (a key set twice is warned about)
out=$(pxl create /tmp/bad1.cfg 2>&1); echo "too-big: $? $(echo "$out" | wc -l) $out"
cfg bad2 "" > /tmp/bad2.cfg; sed -i 's|guest.elf|missing.img|' /tmp/bad2.cfg
out=$(pxl create /tmp/bad2.cfg 2>&1); echo "no-kernel: $? $(echo "$out" | wc -l) $out"
printf 'name = "bad3"\nmemory = "lots"\n' > /tmp/bad3.cfg
out=$(pxl create /tmp/bad3.cfg 2>&1); echo "bad-config: $? $(echo "$out" | wc -l) $out"
sleep 1
echo "after-failures: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')| dm=$(pidof physmap-dm | wc -w) store=$(xenstore-ls /local/domain | grep -c '^[0-9]')"
echo "free-after: $free0 $(xl info | awk '$1 == "free_memory" { print $3 }')"
INSIDE
plan 170
truncate -s 800M "$T/disk"   # the save file and the cores come out here: dom0's /dev/vda
# the run's bound: about 12 min here under TCG; a host twice as slow still fits
t0=$SECONDS
out=$("$S/tests/xenbox/xenbox.sh" --install "$T/dest" --add "$G/guest.img" --add "$G/guest.elf" --add "$G/qt.img" --disk "$T/disk" --timeout 1800 \
	"$T/inside" 2>"$T/err")
is "the box boots Xen and dom0 and returns the script's status" "0" "$?"
echo "# the box ran $((SECONDS - t0)) s"
grep '^xenbox: accelerator' "$T/err" | sed 's/^/# /'
[ -s "$T/err" ] && grep -v '^xenbox: \(accelerator\|fetching\|booting\)' "$T/err" | sed 's/^/# /' | tail -n 16
v() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -1; }
survived() {   # PREFIX WHAT NAME
	w=$(v $1-want)
	is "pxl save -c of the $2 guest with its devices: exit 0" "0 saved" "$(v $1-save-c)"
	is "$2: it suspended and resumed: it reads its disk and pings dom0 on" "0 $w 1" "$(v $1-save-c-runs)"
	is "$2: pxl save: exit 0, its loop device gone with it" "0 saved 0" "$(v $1-save)"
	is "$2: pxl restore: exit 0" "0 restored $3 as domain N" "$(v $1-restore)"
	is "$2: the restored guest reads its disk and pings dom0 through devices made anew" "0 $w 1" \
		"$(v $1-restored-runs)"
	is "$2: pxl migrate to localhost: exit 0" "0" "$(v $1-migrate)"
	is "$2: the migrated guest reads its disk and pings dom0; one loop device, no --incoming or --migratedaway" \
		"0 $w 1 1 0" "$(v $1-migrated-runs)"
}
is "Xen 4.17 runs with HVM and hardware-assisted paging (PVH guests can run)" "4.17 hvm hap" \
	"$(printf '%s\n' "$out" | sed -n 's/^xen_version=\([0-9]*\.[0-9]*\).*/\1/p') \
$(printf '%s\n' "$out" | sed -n 's/^virt_caps=.*\(hvm\).*/\1/p') $(printf '%s\n' "$out" | sed -n 's/^virt_caps=.*\(hap\).*/\1/p')"
is "xl lists dom0 alone" "Domain-0 0|" "$(v list)"
is "xenstored answers: dom0's name is there" "Domain-0" "$(v store)"
is "xenstored and xenconsoled run in dom0" "xenstored xenconsoled" "$(v daemons)"
is "pxl list on the xen backend (PHYSMAP_CONNECT=xen): Xen's dom0" "Domain-0 0|" "$(v pxl-list)"
is "pxl create of the pc board's PVH test guest on Xen: exit 0" "0 created g1 as domain 1" "$(v create)"
is "it boots: its banner through COM1, port I/O Xen hands to physmap-dm (a libxendevicemodel ioreq server)" \
	"physmap test guest (x86)" "$(v banner)"
is "pxl console --dump shows it too (physmap-dm's UART log)" "physmap test guest (x86)" "$(v console-dump)"
i=$(v pxl-info)
is "pxl info: the xen backend, the host's memory as xl info counts it" "xen 1" \
	"$(printf '%s' "$i" | awk '{ print $1, ($2 == $3 && $2 > 0) }')"
is "the memory map it read from the PVH start info is the board's: low RAM, a hole, RAM to 64 MiB" \
	"memory: 0x0-0xa0000 (0 MiB)|memory: 0x100000-0x4000000 (63 MiB)|" "$(v memory)"
is "it reads its name from Xen's xenstored (its ring granted as libxl grants it, its channel bound)" \
	"store: name = g1" "$(v guest-store)"
is "pxl info prints what xl info prints, line for line (free_memory aside)" "yes 0" \
	"$(v info-diff | awk '{ print ($1 >= 33 ? "yes" : "no"), $2 }')" || printf '%s\n' "$out" | sed -n 's/^info-diff-line: /# /p'
is "pxl list prints what xl list prints: header, names, ids, memory, vCPUs (times and flags move); every row in xl's format" \
	"3 0 0" "$(v list-diff)" || printf '%s\n' "$out" | sed -n 's/^list-diff-line: /# /p'
r=$(v list-v)
is "list -v: the UUID Xen keeps for pxl's domain is the one pxl gives it; reason '-' and label '-' as xl" "yes - -" \
	"$(echo "$r" | awk '{ print ($1 == $5 && length($1) == 36 && $1 != "00000000-0000-0000-0000-000000000000" ? "yes" : "no"), $6, $7 }')"
is "vcpu-list: pxl's header, vCPU, host CPU and affinities are xl's (Xen's vcpu info)" "yes yes" \
	"$(v vcpu-list | awk -F' [|] ' '{ split($3, h, " "); print ($1 == $2 && $1 ~ /^g1 /) ? "yes" : "no", (h[1] == h[2]) ? "yes" : "no" }')"
is "claims: names, ids and the Claimed column are xl's" "3 0 Name ID Claimed" "$(v claims)"
is "cpupool-list is xl's, byte for byte; -c lists the CPU" "2 0 0" "$(v cpupool)"
is "sched-credit2 -d -w -c sets credit2's weight and cap; -d prints xl's table, all domains too" "0|512 50 0|0" \
	"$(v c2-set)|$(v c2)|$(v c2-all | awk '{ print ($1 >= 4 ? $2 : "short") }')"
is "debug-keys reaches Xen (its 'h' handler prints); dmesg is xl's console ring" "0 yes same" \
	"$(v debug-keys | awk '{ print $1, ($2 >= 1 ? "yes" : "no") }') $(v dmesg)"
is "trigger nmi: pxl's exit status is xl's" "yes" "$(v trigger | awk '{ print ($1 == $2 ? "yes" : $0) }')"
is "sharing and getenforce: what xl prints (and getenforce's status)" "0 same yes" \
	"$(v sharing-flask | awk '{ print $1, $2, ($3 == $4 ? "yes" : $3 "/" $4) }')" || echo "# $(v sharing-flask)"
is "sched-credit on a credit2 host, pci-list, pci-assignable-list: what xl prints, and its status" "yes same same same" \
	"$(v credit-pci | awk '{ print ($1 == $2 ? "yes" : $1 "/" $2), $3, $4, $5 }')"
is "vm-list and uptime's names and ids: pxl's are xl's" "3 0 yes" \
	"$(v vm-list-diff) $(v uptime | awk '{ print ($1 == $2 && $3 == 3 ? "yes" : "no") }')" ||
	printf '%s\n' "$out" | sed -n 's/^uptime-\(xl\|pxl\): /# \1: /p'
is "xl list sees the domain pxl made: name, memory, vCPUs" "g1 63 1" "$(v xl-sees)"
is "pxl list agrees" "g1 63 1" "$(v pxl-sees)"
e=$(v e820-guest)
is "pxl e820 of the domain (the start info in its memory) is the board's E820 for the same config" \
	"${e#* e820-board: }" "$(printf '%s' "$e" | sed 's/^\([0-9a-f]*\) .*/\1/')"
is "and says something (entries and a heading)" "1" "$([ "$(v e820-lines)" -ge 3 ] && echo 1)"
# the guest mapped Xen's shared info over one page of its image (for its store
# waits): Xen took that page's RAM away, so it reads missing; one page, once
p2m=$(v p2m)
if [[ $p2m =~ ^(.*)\|ram\ 0x100-(0x[0-9a-f]+)\|missing\ (0x[0-9a-f]+)-(0x[0-9a-f]+)\|ram\ (0x[0-9a-f]+)-(.*)$ ]] &&
	[ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[3]}" ] && [ "${BASH_REMATCH[4]}" = "${BASH_REMATCH[5]}" ] &&
	[ $((BASH_REMATCH[4] - BASH_REMATCH[3])) = 1 ]; then
	p2m="${BASH_REMATCH[1]}|ram 0x100-${BASH_REMATCH[6]} shinfo pages 1"
fi
is "pxl p2m: RAM where the board put it, the VGA hole missing (an HVM domU has no identity entries), the rings after RAM" \
	"ram 0x0-0xa0|missing 0xa0-0x100|ram 0x100-0x4002| shinfo pages 1" "$p2m"
is "the frames Xen does not disclose for an HVM guest are said, not invented" "(Xen does not say)" "$(v p2m-frames)"
is "pxl pause: Xen's state is paused" "0 p" "$(v paused | awk '{ print $1, substr($2, 3, 1) }')"
is "pxl unpause: no longer paused" "0 1" "$(v unpaused | awk '{ print $1, ($2 ~ /p/ ? 0 : 1) }')"
is "one physmap-dm serves it" "1" "$(v dm-running)"
is "pxl destroy: exit 0" "0" "$(v destroy)"
is "then Xen, xenstored and dom0 have nothing of it: no domain, no store home, no device model" \
	"Domain-0 | 1 dm=0" "$(v after-destroy)"
is "on_poweroff=destroy: the guest powers off, pxl's monitor destroys it (Xen leaves that to the toolstack)" \
	"0 Domain-0 " "$(v poweroff-destroyed)"
is "the grant table as the test guest sets it up: what the simulator says too (tests/integration/gnttab-xen.txt)" \
	"$(tr '\n' '|' <"$S/tests/integration/gnttab-xen.txt")" "$(v gnttab)"
is "XENMEM_memory_map: the pc board's map, which pxl sets as libxl does; physdev_op -ENOSYS for a PVH domU" \
	"0x0-0xa0000 1|0xa0000-0x100000 2|0x100000-0x4000000 1|0xfec00000-0xfec01000 2|0xfed00000-0xfed00400 2|0xfee00000-0xfef00000 2|0xfffc0000-0x100000000 2|0xfd00000000-0x10000000000 2|8|-38|" \
	"$(v memmap)"
is "Xen's xl creates the same guest (its ELF) in the same box" "0" "$(v xl-create)"
is "pxl creates from the same file (name=p1 on its command line): exit 0" "0" "$(v pxl-same)"
sbs=$(v side-by-side)
is "the same memory (within the pc board's 384 KiB legacy hole) and vCPUs, both running, as xl list shows them" "1" \
	"$(printf '%s' "$sbs" | awk -F'|' '{ split($1, x, " "); split($2, p, " ")
		d = x[2] - p[2]; if (d < 0) d = -d
		print (NF == 3 && d <= 1 && x[3] == p[3] && x[4] !~ /[psc]/ && p[4] !~ /[psc]/) }')"
is "pxl list sees the domain xl made" "x1 1" "$(v pxl-sees-xl)"
is "pxl destroy destroys it" "0 gone" "$(v pxl-destroys-xl)"
is "and xl destroy destroys pxl's: its device model leaves, its store home goes" "0 gone 0 1" "$(v xl-destroys-pxl)"
pc=$(v pxl-create-cs) xc=$(v xl-create-cs)
echo "# create time: pxl $((pc * 10)) ms, xl $((xc * 10)) ms (ratio $(awk -v p="$pc" -v x="$xc" 'BEGIN { printf "%.2f", x ? p / x : 0 }'))"
is "both create times measured, the same config (pxl's includes starting physmap-dm; the ratio is above)" "1" \
	"$([ "${pc:-0}" -gt 0 ] && [ "${xc:-0}" -gt 0 ] && echo 1)"
r=$(v too-big)
is "more memory than the host has: exit 1, one line naming the domain" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'bad1')"
r=$(v no-kernel)
is "a kernel that is not there: exit 1, one line naming the file" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'missing.img')"
r=$(v bad-config)
is "a bad config: exit 1, one line naming the file, line and key" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'bad3.cfg:2: memory')"
is "Debian's Linux kernel (its bzImage) boots as a PVH guest pxl built: exit 0, its init speaks on hvc0 (xenconsoled)" \
	"0 created lx as domain N|1" "$(v linux-create | sed "s/domain [0-9]*$/domain N/")|$(v linux-up)"
is "it starts with the memory configured (Xen's count, xl list)" "1" "$(v linux-mem | awk '{ print ($1 >= 250 && $1 <= 257) }')"
is "pxl mem-set lx 128m: exit 0, and its balloon driver gives the memory back to Xen" "0 1" \
	"$(v linux-down | awk '{ print $1, ($2 <= 136) }')"
is "pxl mem-set lx 256m: and takes it again" "0 1" "$(v linux-up-again | awk '{ print $1, ($2 >= 248) }')"
is "pxl destroy: the Linux guest is gone" "0" "$(v linux-gone)"
# the cores: out of the disk, then compared and opened by crash with the kernel's debug vmlinux
core() { tail -c +$(($2 * 1048576 + 1)) "$T/disk" | head -c "$3" > "$T/$1.core"; }
read -r xb pb <<<"$(v dc-dump-bytes)"
core xl-dc 128 "${xb:-0}"; core pxl-dc 288 "${pb:-0}"
is "maxvcpus=2 vcpus=1 on Xen: Linux boots on one CPU; Xen's vCPU 1 is offline (p); list counts 1; cpu/1 offline" \
	"cpus: 0|-p|1|offline" "$(v hp-boot)"
is "pxl vcpu-set hp 2, then 1: exit 0, cpu/1/availability online, then offline (as libxl writes them)" \
	"0 online 0 offline" "$(v hp-store)"
echo "# a PVH Linux guest given CPU 1: $(v hp-guest)"
is "a PV guest, maxvcpus=2 vcpus=1: Linux runs on one CPU; Xen's vCPU 1 is offline (p); list counts 1" \
	"cpus: 0|-p|1" "$(v hq-boot)"
is "pxl vcpu-set hq 2: Linux brings CPU 1 online (its cpu_hotplug.c, then the init's online); Xen runs both; list counts 2" \
	"0 cpus: 0-1|--|2" "$(v hq-up)"
is "pxl vcpu-set hq 1: Linux takes CPU 1 offline itself; Xen's vCPU 1 is down again (p)" "0 cpus: 0|-p" "$(v hq-down)"
is "dump-core of a paused Linux PVH guest: xl's and pxl's exit 0, pxl prints nothing, the guest stays paused" \
	"0 0 |p" "$(v dc-dump | sed 's/|..\(.\).*$/|\1/')"
d=$("$PY" "$S/tests/oracles/xen-core-diff.py" "$T/xl-dc.core" "$T/pxl-dc.core" 2>&1)
echo "# xl's and pxl's cores: $d"
is "pxl's core is xl's: sections, ELF header, notes, both vCPUs' contexts (Xen's), shared info, every page both hold" \
	"sections=same head=same notes=same prstatus=same shinfo=same differ=0" \
	"$(printf '%s' "$d" | tr ' ' '\n' | grep -v '^\(pages\|onlyA\|onlyB\|frames\)=' | tr '\n' ' ' | sed 's/ $//')"
# xl's holds what it could map up to tot_pages (the shared info page the guest
# put over RAM, which physmap's P2M does not count as RAM; and stops there);
# physmap's the P2M's RAM pages: at most a page or two apart
is "the page sets: the same but for at most two pages each way (xl: what maps, to tot_pages; pxl: the P2M's RAM)" "yes" \
	"$(printf '%s' "$d" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
		END { a = split(f["onlyA"], x, ","); b = split(f["onlyB"], y, ",")
		      print (f["pages"] > 32000 && (f["onlyA"] == "-" || a <= 2) && (f["onlyB"] == "-" || b <= 2)) ? "yes" : "no" }')"
printf 'sys\nlog\nquit\n' > "$T/crash.cmd"
cr() { timeout 300 crash -s -i "$T/crash.cmd" "$VMLINUX" "$1" 2>&1 | grep -v '^ *DUMPFILE:'; }
cp=$(cr "$T/pxl-dc.core")
is "crash opens pxl's core with the guest kernel's vmlinux: its release, 2 CPUs, 128 MB, its kernel log to /init" \
	"$(basename "$VMLINUX" | sed 's/^vmlinux-//') 2 yes 1" \
	"$(printf '%s\n' "$cp" | sed -n 's/^ *RELEASE: //p') $(printf '%s\n' "$cp" | sed -n 's/^ *CPUS: //p') \
$(printf '%s\n' "$cp" | grep -q '^ *MEMORY: 12[0-9]' && echo yes) $(printf '%s\n' "$cp" | grep -c 'Run /init as init process')" ||
	printf '%s\n' "$cp" | head -20 | sed 's/^/# /'
is "and crash says of it what it says of xl's core (sys and the kernel log)" "same" \
	"$([ "$cp" = "$(cr "$T/xl-dc.core")" ] && echo same || echo differs)"
rm -f "$T"/*-dc.core
is "pxl save -c of the running PVH guest: exit 0, it runs on" "0 -- saved" "$(v save | sed 's/ [-r][-b]-/ --/')"
b=$(v save-bytes)
head -c "${b:-0}" "$T/disk" >"$T/s1.save"
vout=$(PYTHONPATH=/usr/lib/xen-4.17/lib/python${PYTHONPATH:+:$PYTHONPATH} /usr/lib/xen-4.17/bin/verify-stream-v2 -f xl -v \
	-i "$T/s1.save" 2>&1)
is "Xen's verify-stream-v2 accepts the save file pxl wrote on Xen" "0" "$?"
is "it saw the x86 HVM records: pages, the HVM context, params, the emulator's context" "1 1 1 1 1" \
	"$(for r in 'x86 HVM' 'Page data' 'HVM context' 'HVM params' 'Emulator context'; do
		printf '%s\n' "$vout" | grep -qi "$r" && printf '1 ' || printf '0 '; done | sed 's/ $//')"
is "pxl restore of it (after pxl destroy): exit 0" "0 restored s1 as domain N" "$(v restore)"
is "the restored guest runs its workload on: more rounds, every page checked, nothing broken" "0 - 0" \
	"$(v restored-runs)"
m=$(v migrate)
echo "# localhost live migration: downtime ${m##* } ms"
is "pxl migrate s1 to migrate-receive on this host (xl's localhost way): exit 0, the report" "0 1" "$(printf '%s' "$m" | cut -d' ' -f1-2)"
is "s1 is another domain now; no --incoming or --migratedaway left; one device model" "moved 0 1" "$(v migrated)"
is "the migrated guest runs its workload on, every page checked" "0 0" "$(v migrated-runs)"
is "a PV guest (type = \"pv\"), Debian's kernel through libxenguest's builder: exit 0, it boots" \
	"0 created pv as domain N|1" "$(v pv-create)|$(v pv-up)"
is "pxl e820 shows the memory map physmap gave it and recorded: RAM from 0 to its maximum" \
	"BIOS-e820: [mem 0x0000000000000000-0x000000000fffffff] usable|" "$(v pv-e820)"
is "the guest read that map from Xen (its boot log: RAM to 256 MiB exactly, not the 8 MiB more Linux assumes without one; the ISA range Linux reserves itself)" \
	"map: [mem 0x0000000000000000-0x000000000009ffff] usable|map: [mem 0x00000000000a0000-0x00000000000fffff] reserved|map: [mem 0x0000000000100000-0x000000000fffffff] usable|" \
	"$(v pv-map-seen)"
is "pxl p2m reads its own P2M (its linear P2M list, found through its page tables): RAM runs from pfn 0 to its map's end" \
	"ram |1" "$(v pv-p2m | awk -F'|' '{ print $1 "|" ($2 > 0) }')"
is "and checks every RAM frame against Xen's M2P: 64 Ki pfns, no disagreement" "65536 RAM pfns checked, 0 disagree" \
	"$(v pv-m2p)"
is "ballooned to 128 MiB: missing runs among the RAM in its P2M, the M2P still agrees" "1 1 1" \
	"$(v pv-ballooned | awk '{ print ($1 <= 136), ($2 > 1), ($3 > 0 && $NF == "disagree" && $(NF - 1) == 0) }')"
read -r xb pb <<<"$(v pv-dump-bytes)"
core xl-pv 448 "${xb:-0}"; core pxl-pv 608 "${pb:-0}"
is "dump-core of the ballooned PV guest, paused: xl's and pxl's exit 0, nothing printed, still paused" "0 0 |p" \
	"$(v pv-dump | sed 's/|..\(.\).*$/|\1/')"
is "pxl's core of the PV guest is xl's, byte for byte (.xen_p2m: its pfns and machine frames; shared info)" \
	"same ${xb:-0}" "$(cmp -s "$T/xl-pv.core" "$T/pxl-pv.core" && echo same || echo differs) $(stat -c %s "$T/pxl-pv.core")" ||
	echo "# $("$PY" "$S/tests/oracles/xen-core-diff.py" "$T/xl-pv.core" "$T/pxl-pv.core" 2>&1)"
rm -f "$T"/*-pv.core
is "pxl destroy: the PV guest is gone" "0" "$(v pv-gone)"
is "pxl p2m 0 reads dom0's own P2M (a PV guest's): RAM, identity, RAM" "0 ram identity ram " "$(v dom0-p2m)"
is "its first identity run is its E820's hole below 1 MiB (0x9fc00-0xfffff, whole pages)" "0x9f-0x100 388K" "$(v dom0-identity)"
is "the RAM Linux moved out of the hole sits above the rest, as many pages as the hole" "388K" "$(v dom0-moved)"
is "every RAM frame of dom0's P2M agrees with Xen's M2P" "0 disagree" "$(v dom0-m2p | awk '{ print $(NF - 1), $NF }')"
is "after the failures: no domain but dom0, no device model, no store home; the memory is back" "Domain-0 | dm=0 store=1 1" \
	"$(v after-failures) $(v free-after | awk '{ print ($1 == $2) }')"
# disks and networks
md5=$(v img-md5)
is "pxl create of a PV guest with disk= and vif= (xl's syntax): exit 0" "0 created dv as domain N" "$(v dev-create)"
is "xl creates the same config beside it (its own image)" "0" "$(v dev-xl-create)"
is "the guest reads its raw image as xvda bit for bit (the checksum dom0 computed)" "16384 $md5" "$(v dev-disk)"
is "it pings dom0 over xenbr0, and the guest xl made (and that one pings dom0)" "2 1 2" "$(v dev-ping)" ||
	printf '%s\n' "$out" | sed -n 's/^dev-log-/# /p'
m=$(v dev-mac)
is "its vif has a MAC in Xen's OUI, the one the store gives netback" "1" \
	"$(printf '%s' "$m" | awk '{ print ($1 ~ /^00:16:3e:/ && $1 == $2) }')"
is "xl block-list shows pxl's disk: xvda (51712) on dom0, connected" "51712 0 4" "$(v dev-blist)"
is "xl network-list shows pxl's vif: devid 0 on dom0, its MAC, connected" "0 0 ${m%% *} 4" "$(v dev-nlist)"
k=$(v dev-keys)
is "the store holds the same keys with the same permissions for both tools' devices (backend, frontend, libxl's record)" \
	"0" "${k#* }"
printf '%s\n' "$out" | sed -n 's/^dev-keys-diff: /# /p'
is "and that is a real comparison: both guests' directories listed" "1" "$([ "${k%% *}" -gt 60 ] && echo 1)"
is "one loop device for each guest's image, both vifs on the bridge" "2 2" "$(v dev-loops)"
r=$(v pv-live)
is "a live migration of the PV guest is refused, saying why (this Xen has no shadow paging); it runs on" \
	"1 1 0|" "${r%%|*}|"
check "... the reason names shadow paging and the way that works" \
	sh -c 'case "$1" in *"shadow paging"*"non-live"*) exit 0 ;; esac; exit 1' sh "${r#*| }"
survived pv PV dv
is "pxl destroy: exit 0" "0" "$(v dev-destroy)"
is "what the guest wrote is in its image after it is gone" "written by 10.0.0.2" "$(v dev-wrote)"
is "its disk, loop device and bridge port are gone; xl's guest keeps its own" "0 loops=1 brif=1" "$(v dev-left)"
is "xl destroy of a guest pxl made: exit 0, not a word of error (its hotplug scripts undo pxl's work)" "0 0" \
	"$(v dev-xl-destroys)"
is "pxl destroy of the guest xl made: exit 0" "0" "$(v dev-pxl-destroys)"
is "then no backend or libxl directory, no loop device, no bridge port is left" "0 loops=0 brif=0" "$(v dev-after)"
r=$(v dev-in-use)
is "a disk another domain writes: exit 1, one line naming the disk, the file and the domain" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'dv2: disk xvda: /tmp/d1.img is in use by domain [0-9]* (dv) read-write')"
r=$(v dev-no-bridge)
is "a bridge that is not there: exit 1, one line naming it" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'vif 0: bridge nosuch')"
r=$(v dev-no-target)
is "a target that is not there: exit 1, one line naming the key and file" "1 1 1" \
	"$(printf '%s' "$r" | cut -d' ' -f1-2) $(printf '%s' "$r" | grep -c 'disk: "/tmp/nosuch.img,raw,xvda,rw": target /tmp/nosuch.img: No such file')"
is "the refusals made nothing: no domain, no loop device beyond the running guest's" "Domain-0 dv | loops=1" "$(v dev-refused-left)"
is "block-attach of a second image (read-only) to the running guest: exit 0" "0" "$(v hot-battach)"
is "it appears in the guest as xvdb, its bytes the image's" "8192 $(v hot-img)" "$(v hot-xvdb)"
is "pxl block-list shows both disks connected, xl block-list agrees" "51712 4|51728 4| 51712 51728 " "$(v hot-blist)"
is "the domain's kept configuration has it (a save or migration carries it)" "1" "$(v hot-kept)"
is "block-detach xvdb: exit 0" "0" "$(v hot-bdetach)"
is "it leaves the guest, its loop device goes, the configuration forgets it" "0 0 0" "$(v hot-bgone)"
is "block-attach with a script of the user's (script=block-wrap): exit 0" "0" "$(v hot-script)"
is "the script ran with add and the backend's path (as libxl runs one), the store names it, the guest has xvdc" \
	"0 add BE/51744| /etc/xen/scripts/block-wrap" "$(v hot-script-dev)"
is "block-detach runs it with remove; its loop device goes" "0 add BE/51744|remove BE/51744| 0" "$(v hot-script-gone)"
is "network-attach of a second vif (mtu=1400): exit 0" "0" "$(v hot-nattach)"
is "it appears in the guest as eth1 and pings dom0 through it; netback's vif has the MTU" "2 1400" "$(v hot-eth1)"
is "pxl network-list shows both vifs connected, xl network-list agrees" "0 4|1 4| 0 1 " "$(v hot-nlist)"
is "network-detach 1: exit 0" "0" "$(v hot-ndetach)"
is "eth1 leaves the guest, its vif leaves the bridge (xl's guest and this one's first remain)" "0 2" "$(v hot-ngone)"
is "block-detach of a disk it does not have: exit 1, one line" "1 pxl block-detach: dv: disk xvdz: no such device" \
	"$(v hot-nosuch)"
is "pxl create of a PVH guest with the same disk= and vif=: exit 0" "0 created dh as domain N" "$(v pvh-create)"
is "xl creates the same PVH config beside it" "0" "$(v pvh-xl-create)"
is "the PVH guest reads its raw image as xvda bit for bit" "16384 $(v pvh-img-md5)" "$(v pvh-disk)"
is "it pings dom0 and xl's PVH guest, which pings dom0" "2 1 2" "$(v pvh-ping)" ||
	printf '%s\n' "$out" | sed -n 's/^pvh-log-/# /p'
k=$(v pvh-keys)
is "its devices' store keys and permissions are xl's, key for key" "0" "${k#* }"
printf '%s\n' "$out" | sed -n 's/^pvh-keys-diff: /# /p'
is "block-attach to the PVH guest: xvdb appears with the image's bytes" "0 8192 $(v hot-img)" "$(v pvh-battach) $(v pvh-xvdb)"
is "block-detach: it leaves the guest with its loop device" "0 0 0" "$(v pvh-bdetach) $(v pvh-bgone)"
is "pxl keeps libxl's userdata for its domain (/var/lib/xen/userdata-d.DOMID.UUID.libxl-json)" "1" "$(v pvh-userdata)"
is "so xl block-attach works on pxl's guest: exit 0, xvdb appears with the image's bytes" "0  8192 $(v hot-img)" \
	"$(v pvh-xl-battach) $(v pvh-xl-xvdb)"
is "and xl block-detach takes it away, with its loop device" "0  0 0" "$(v pvh-xl-bdetach) $(v pvh-xl-bgone)"
is "pxl list -l is xl list -l for the same config: libxl's JSON, names, UUID, MAC, paths aside; claim_mode False (no claims)" \
	"yes 0 1" "$(v pvh-list-l | awk '{ print ($1 > 40 ? "yes" : $1), $2, $3 }')" ||
	printf '%s\n' "$out" | sed -n 's/^pvh-list-l-diff: /# /p'
is "network-attach to the PVH guest: eth1 pings dom0" "0 2" "$(v pvh-nattach) $(v pvh-eth1)"
is "network-detach: eth1 leaves, one vif (eth0's) on the bridge besides xl's" "0 0 2" "$(v pvh-ndetach) $(v pvh-ngone)"
survived pvh PVH dh
is "pxl destroy of the PVH guest: exit 0; what it wrote is in its image" "0 written by 10.0.0.4" \
	"$(v pvh-destroy) $(v pvh-wrote)"
is "then nothing of either is left: no backend, loop device, bridge port or libxl userdata" "0 loops=0 brif=0 userdata=0" "$(v pvh-left)" ||
	printf '%s\n' "$out" | sed -n 's/^pvh-left-key: /# /p'
is "backendtype=qdisk: a PVH Linux guest whose disk physmap-dm serves: created, Linux's blkfront reads it bit for bit" \
	"0 created qd as domain N|16384 $(v qd-img-md5)" "$(v qd-create)|$(v qd-disk)"
is "its backend is qdisk, connected; xl block-list shows it" "4 qdisk 51712 4" "$(v qd-be)"
is "what Linux wrote through physmap-dm is in the image after destroy" "written by 10.0.0.6" "$(v qd-wrote)"
is "the test guest's block frontend on Xen through physmap-dm: the image's CRC-32, its write read back, flush, past the end refused" \
	"sectors 2048|info 0|read 0-7 crc32 $QT_CRC|wrote 8-15, read back same|flush 0|past the end -1|done|" "$(v qt-disk)"
is "its write is in the image; nothing of either guest left in the store, no device model" "$QT_PATTERN|0 dm=0" \
	"$(v qt-wrote)|$(v qd-left)"
fsq=$(v fsq)
is "an ext2 filesystem Linux made on a qdisk disk survives a reboot of the guest: the monitor builds it again, its file is whole" \
	"${fsq%%|*}|${fsq%%|*} boots 1|rebooted" "$fsq"
is "then nothing of it is left: no backend, no device model" "0 dm=0" "$(v fsq-left)"
is "pxl shutdown -w of a PVH Linux guest: asked (control/shutdown), waited for, as xl says it" \
	"0 Shutting down domain N|Waiting for 1 domains|Domain N has been|" "$(v lc-shutdown | sed 's/domain [0-9][0-9]*/domain N/g; s/Domain [0-9][0-9]*/Domain N/')"
is "its /sbin/poweroff ran, and the monitor destroyed it (on_poweroff=destroy)" "0 1" "$(v lc-gone)"
is "pxl reboot: exit 0" "0" "$(v lc-reboot)"
is "on_reboot=restart: built again under its name, a new domid, Linux boots again; the monitor says so" \
	"yes 2 rebooted: restart" "$(v lc-rebooted)"
is "xl shutdown of pxl's guest: the guest obeys, pxl's monitor destroys it (its second poweroff in the log)" "0 0 2" \
	"$(v lc-xl-shutdown) $(v lc-xl-gone)"
is "without the control feature: pxl shutdown exits 1 with one line, the guest runs on (not shut down)" "1 1 -" \
	"$(v lc-no-control | awk '{ print $1, $2, substr($3, 4, 1) }')"
is "shutdown -F stops it from outside (xc_domain_shutdown); on_poweroff=preserve keeps it" \
	"0 Domain N has been shut down, reason code 0 s" "$(v lc-F)"
is "the test guest crashed on request, on_crash=rename-restart: kept as NAME-YYYYmmddTHHMMZ, crashed; a new one" \
	"1 ---sc- yes" "$(v tg-rename-restart)"
is "on_crash=coredump-destroy on Xen: the core at /var/lib/xen/dump/NAME (where xl writes it), an ELF file; destroyed" \
	"0 177ELF 1" "$(v tc-coredump)"
is "then no domain and no monitor is left" "Domain-0 | 0" "$(v lc-left)"
is "exit statuses: 66 commands, on success and on their errors, exit with xl's status under pxl" \
	"66" "$(v status-same)" || printf '%s\n' "$out" | sed -n 's/^status-diff: /# /p'
is "apart, as documented: dom0's rename (xl 0, pxl 1: dom0 keeps its name), create of an unreadable config (xl 3, pxl 1) and with none (xl 6, pxl 2)" \
	"0 1 3 1 6 2" "$(v status-apart)"
pc=$(v dev-create-cs) xc=$(v dev-xl-create-cs)
echo "# create with a disk and a vif: pxl $((pc * 10)) ms, xl $((xc * 10)) ms (ratio $(awk -v p="$pc" -v x="$xc" 'BEGIN { printf "%.2f", x ? p / x : 0 }'))"
tap_done

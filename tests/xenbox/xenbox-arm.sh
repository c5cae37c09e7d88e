#!/bin/bash
# tests/xenbox/xenbox-arm.sh - real Xen for arm64 on this machine: Debian's
# Xen 4.17 and Linux 6.1 for arm64 booted under qemu-system-aarch64 (TCG:
# an x86 host has no KVM for Arm) with a dom0 initramfs built here, a
# script run inside dom0, its output returned over the serial console.
# ../shared/notes/xen-box-arm.md (in the workplace) records the flags and
# addresses this needs and why.
#
#   xenbox-arm.sh [--add PATH]... [--install DESTDIR] [--timeout SECONDS] SCRIPT
#
# The :arm64 packages come with `apt-get download` (the arm64 architecture
# is added to dpkg first if it is not there; nothing is installed) into
# $PHYSMAP_XENBOX_CACHE/arm64 (default ~/.cache/physmap-xenbox/arm64) and
# stay there. ldd cannot read arm64 programs here, so dom0 gets the whole
# library directories of the packages (libc, yajl, fdt, Xen's libraries,
# ...). --add copies a file to the same path inside dom0; --install copies
# a `make install DESTDIR=` tree (a cross build) to / inside dom0. dom0's
# kernel (an arm64 Image) is at /boot/vmlinuz there, and a guest initramfs
# at /boot/guest-initrd.gz whose /init prints "GUEST: up" with what the
# guest's device tree says and powers off (or, with "stay" on its command
# line, runs on).
# SCRIPT runs there as /xenbox-test with xenstored, xenconsoled and Xen's
# xl (/usr/lib/xen-4.17/bin/xl) up; whatever it prints comes out here, and
# its exit status is this script's. Everything is bounded: the whole run by
# --timeout (default 600 s), Xen's first line and dom0's start by watchdogs.
set -euo pipefail

usage() {
	echo "usage: xenbox-arm.sh [--add PATH]... [--install DESTDIR] [--timeout SECONDS] SCRIPT" >&2
	exit 2
}
adds=()
install=
timeout=600
while [ $# -gt 1 ]; do
	case $1 in
	--add) adds+=("$2"); shift 2 ;;
	--install) install=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ $# = 1 ] && [ -f "$1" ] || usage
script=$1
cache=${PHYSMAP_XENBOX_CACHE:-$HOME/.cache/physmap-xenbox}/arm64
say() { echo "xenbox-arm: $*" >&2; }
command -v qemu-system-aarch64 >/dev/null || { say "qemu-system-aarch64 is missing (Debian package qemu-system-arm)"; exit 1; }
. "$(dirname "$0")/accel.sh"
. "$(dirname "$0")/packages.sh"

# ---- the packages ----
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "adding the arm64 architecture to dpkg (for apt-get download of :arm64 packages)"
	{ dpkg --add-architecture arm64 && apt-get update >/dev/null; } || { say "dpkg --add-architecture arm64 failed"; exit 1; }
fi
kver=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/.*Depends: linux-image-\([0-9][^:]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -1)
[ -n "$kver" ] || { say "apt-cache knows no linux-image-arm64:arm64 (apt-get update first)"; exit 1; }
pkgs=()
for p in xen-hypervisor-4.17-arm64 xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17 libxencall1 \
	libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 \
	libxentoolcore1 libxentoollog1 busybox-static "linux-image-$kver" libc6 libyajl2 libncurses6 libtinfo6 \
	libext2fs2 libfdt1 libuuid1 zlib1g libgcc-s1 libzstd1 liblzma5 libbz2-1.0 liblz4-1 libcom-err2 liburcu8; do
	pkgs+=("$p:arm64")
done
root=$cache/root
box_fetch "$cache" "$root" "${pkgs[@]}" || exit 1
xen=$root/boot/xen-4.17-arm64          # an arm64 Image: -kernel loads it as it is
vmlinuz=$root/boot/vmlinuz-$kver       # uncompressed on arm64
mods=$root/lib/modules/$kver/kernel
[ -f "$xen" ] && [ -f "$vmlinuz" ] || { say "no $xen or $vmlinuz in the packages"; exit 1; }

# ---- dom0's initramfs ----
work=$(mktemp -d)
box_qpid=
trap '[ -z "$box_qpid" ] || kill -9 "$box_qpid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 143' TERM INT HUP
ir=$work/ir
mkdir -p "$ir"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,boot,lib/modules,var/log/xen/console,var/lib/xen,var/lib/xenstored}
ln -s ../run "$ir/var/run"
cp "$root/bin/busybox" "$ir/bin/busybox"
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/xen/xen-privcmd \
	drivers/xen/xenfs/xenfs; do
	f=$(ls "$mods/$m.ko"* 2>/dev/null | head -1) || true
	[ -n "$f" ] || { say "no module $m in $kver"; exit 1; }
	case $f in
	*.xz) xz -dc "$f" > "$ir/lib/modules/$(basename "${f%.xz}")" ;;
	*) cp "$f" "$ir/lib/modules/" ;;
	esac
done
# the packages' libraries whole (no ldd for arm64 here), gconv aside
for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
	mkdir -p "$ir/$d"
	(cd "$root/$d" && tar -cf - --exclude=gconv .) | (cd "$ir/$d" && tar -xf -)
done
cp -a "$root/lib/ld-linux-aarch64.so.1" "$ir/lib/"
mkdir -p "$ir/usr/lib" "$ir/usr/bin" "$ir/etc/xen"
cp -a "$root/usr/lib/xen-4.17" "$ir/usr/lib/"
cp -a "$root"/usr/bin/xenstore* "$ir/usr/bin/"
: > "$ir/etc/xen/xl.conf"
for a in "${adds[@]}"; do
	mkdir -p "$ir$(dirname "$(readlink -f "$a")")"
	cp -L "$a" "$ir$(readlink -f "$a")"
done
[ -z "$install" ] || cp -a "$install/." "$ir/"
cp "$vmlinuz" "$ir/boot/vmlinuz"

# the guests' initramfs: busybox, and an /init that says what it got
gr=$work/guest
mkdir -p "$gr"/{bin,proc,sys,dev}
cp "$root/bin/busybox" "$gr/bin/busybox"
cat > "$gr/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys
echo "GUEST: up, $(grep -c ^processor /proc/cpuinfo) vCPUs, $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
[ -r /sys/firmware/fdt ] && echo "GUEST: fdt $(od -An -v -tx1 /sys/firmware/fdt | tr -d ' \n')"
# "stay" on the command line: it runs on (for pause, console, ballooning), else it powers off
if grep -qw stay /proc/cmdline; then echo "GUEST: staying"; while :; do sleep 1; done; fi
echo "GUEST: down"
poweroff -f
INIT

box_initrd "$gr" "$ir/boot/guest-initrd.gz"

cp "$script" "$ir/xenbox-test"
chmod +x "$ir/xenbox-test"
cp "$(dirname "$0")/dom0-daemons.sh" "$ir/etc/dom0-daemons"
cat > "$ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/local/lib:/usr/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
	insmod /lib/modules/$m.ko
done
ln -sf /proc/self/fd /dev/fd
. /etc/dom0-daemons
echo "XENBOX: BEGIN"
xenbox_script
INIT
box_initrd "$ir" "$work/initrd.gz"

# ---- the boot ----
# dom0's kernel and initramfs go in through QEMU's guest-loader (Xen finds
# them as multiboot modules in the tree); the initramfs at 0x49000000, past
# the tree QEMU puts at 0x48000000 (at 0x47000000 a large one overlaps it)
say "booting Xen for arm64 (tcg, cortex-a57), dom0 Linux $kver"
log=$work/serial.log
: > "$log"
qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -m 2048 -smp 1 \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-kernel "$xen" \
	-append "dom0_mem=512M console=dtuart dtuart=/pl011@9000000 bootscrub=0 loglvl=all guest_loglvl=all" \
	-device guest-loader,addr=0x42000000,kernel="$vmlinuz",bootargs="console=hvc0 earlycon=xenboot rdinit=/init quiet" \
	-device guest-loader,addr=0x49000000,initrd="$work/initrd.gz" \
	>"$log.qemu" 2>&1 </dev/null &
box_qpid=$!
set +e
box_watch "$log" "$timeout" 30 180 "tcg (aarch64)"
qrc=$?
set -e
box_result "$log" "$qrc"

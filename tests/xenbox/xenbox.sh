#!/bin/bash
# tests/xenbox/xenbox.sh - real Xen on this machine: Debian's Xen 4.17 and
# Linux 6.1 booted under QEMU with a dom0 initramfs built here, a script
# run inside dom0, its output returned over the serial console.
# ../shared/notes/xen-box.md (in the workplace) records the flags this
# needs and why.
#
#   xenbox.sh [--add PATH]... [--install DESTDIR] [--disk IMAGE] [--timeout SECONDS] SCRIPT
#   xenbox.sh --print-accel   the accelerator a box would boot with (no boot)
#   xenbox.sh --debug-vmlinux the path of dom0's kernel with its debug
#                             information (for crash), fetched once (no boot)
#
# The packages come with `apt-get download` (nothing is installed on the
# host) into $PHYSMAP_XENBOX_CACHE (default ~/.cache/physmap-xenbox) and
# stay there. Xen's tools and their libraries come from those packages;
# what they need beyond them (libc, yajl, ...) from the host, found by ldd.
# --add copies a file (a binary: with the libraries ldd lists) to the same
# path inside dom0; --install copies a `make install DESTDIR=` tree to /
# inside dom0 (its programs with their libraries). dom0's kernel is at
# /boot/vmlinuz there, for guests, and the modules guests need for disks
# and networks (xen-blkfront.ko, xen-netfront.ko) and filesystems (ext4.ko
# with jbd2, mbcache, crc16, crc32c_generic) in /lib/modules. --disk
# attaches a raw image as dom0's /dev/vda (virtio): how files come out.
# SCRIPT runs there as /xenbox-test, with xenstored, xenconsoled and Xen's
# xl (/usr/lib/xen-4.17/bin/xl, with libxl-save-helper for xl save,
# restore and migrate) up, blkback, netback, loop devices, xl's
# hotplug scripts and the bridge xenbr0 (dom0 10.0.0.1/24) ready; whatever
# it prints comes out here, and its exit status is this script's.
# Everything is bounded: the whole run by --timeout (default 600 s), Xen's
# first line and dom0's start by watchdogs.
#
# The accelerator is the one that works, not the one that exists: TCG,
# unless PHYSMAP_XENBOX_ACCEL=kvm asks for KVM, or (PHYSMAP_XENBOX_ACCEL
# unset or "auto") a probe proves that QEMU boots Xen on KVM here and that
# Xen then offers hvm (PVH guests need it: a KVM that gives its guests no
# SVM or VMX cannot). The probe's answer is cached per host, QEMU and Xen.
# PHYSMAP_XENBOX_ACCEL=tcg forces TCG; a forced KVM that cannot work fails
# in seconds with its reason. One line on stderr says what was chosen, why.
set -euo pipefail

usage() {
	echo "usage: xenbox.sh [--add PATH]... [--install DESTDIR] [--disk IMAGE] [--timeout SECONDS] SCRIPT" >&2
	echo "       xenbox.sh --print-accel | --debug-vmlinux" >&2
	exit 2
}
disk=
adds=()
install=
timeout=600
print_accel= debug_vmlinux=
[ "$*" = --print-accel ] && print_accel=1 && set -- /dev/null
[ "$*" = --debug-vmlinux ] && debug_vmlinux=1 && set -- /dev/null
while [ $# -gt 1 ]; do
	case $1 in
	--add) adds+=("$2"); shift 2 ;;
	--install) install=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ $# = 1 ] && { [ -f "$1" ] || [ -n "$print_accel$debug_vmlinux" ]; } || usage
script=$1
cache=${PHYSMAP_XENBOX_CACHE:-$HOME/.cache/physmap-xenbox}
say() { echo "xenbox: $*" >&2; }
want=${PHYSMAP_XENBOX_ACCEL:-auto}
case $want in
auto | kvm | tcg) ;;
*) say "PHYSMAP_XENBOX_ACCEL='$want' is not kvm, tcg or auto"; exit 2 ;;
esac
mkdir -p "$cache"
. "$(dirname "$0")/accel.sh"
# the choice before anything is fetched: a forced KVM that cannot work says
# so now; only a probe (a box booted on KVM) waits for the packages
accel= why= kvm_cpu=
if [ "$want" = tcg ]; then
	accel=tcg why="PHYSMAP_XENBOX_ACCEL=tcg"
elif kvm_why=$(accel_kvm_quick); then
	kvm_cpu=$kvm_why
	[ "$want" = auto ] || accel=kvm why="PHYSMAP_XENBOX_ACCEL=kvm; -cpu $kvm_cpu offers SVM or VMX"
elif [ "$want" = kvm ]; then
	say "PHYSMAP_XENBOX_ACCEL=kvm cannot work: $kvm_why"
	exit 1
else
	accel=tcg why="KVM would not work: $kvm_why"
fi
if [ -n "$print_accel" ] && [ -n "$accel" ]; then
	say "accelerator: $accel ($why)"
	echo "$accel"
	exit 0
fi

# ---- the packages ----
kver=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
[ -n "$kver" ] || { say "apt-cache knows no linux-image-amd64 (apt-get update first)"; exit 1; }
if [ -n "$debug_vmlinux" ]; then
	# only the ELF with its DWARF is kept (630 MB of the package's 5.6 GB)
	vml=$cache/vmlinux-$kver
	if [ ! -s "$vml" ]; then
		say "fetching linux-image-$kver-dbg (vmlinux with debug information)"
		(cd "$cache" && apt-get download "linux-image-$kver-dbg" >/dev/null 2>&1) ||
			{ say "apt-get download linux-image-$kver-dbg failed"; exit 1; }
		deb=$(ls "$cache"/linux-image-"$kver"-dbg_*.deb | head -1)
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/lib/debug/boot/vmlinux-$kver" > "$vml.tmp" &&
			mv "$vml.tmp" "$vml" || { rm -f "$vml.tmp" "$deb"; say "no vmlinux-$kver in $deb"; exit 1; }
		rm -f "$deb"
	fi
	echo "$vml"
	exit 0
fi
pkgs="xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils libxenmisc4.17 libxencall1 libxendevicemodel1
libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoolcore1 libxentoollog1
xen-utils-common busybox-static linux-image-$kver"
root=$cache/root
. "$(dirname "$0")/packages.sh"
# shellcheck disable=SC2086
box_fetch "$cache" "$root" $pkgs || exit 1
xen=$cache/xen-4.17.elf
if [ ! -s "$xen" ]; then
	gz=$(ls "$root"/boot/xen-4.17-amd64.gz)
	gunzip -c "$gz" > "$xen.tmp" && mv "$xen.tmp" "$xen"   # QEMU will not load it gzipped
fi
vmlinuz=$root/boot/vmlinuz-$kver
mods=$root/lib/modules/$kver/kernel

# ---- dom0's initramfs ----
work=$(mktemp -d)
trap '[ -z "$box_qpid" ] || kill -9 "$box_qpid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 143' TERM INT HUP
ir=$work/ir
mkdir -p "$ir"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,lib/modules,var/log/xen/console,var/lib/xen,usr/lib/xen-4.17/bin}
ln -s ../run "$ir/var/run"
cp "$root/bin/busybox" "$ir/bin/busybox"
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/xen/xen-privcmd \
	drivers/xen/xenfs/xenfs drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
	net/llc/llc net/802/stp net/bridge/bridge drivers/block/loop drivers/block/xen-blkback/xen-blkback \
	drivers/net/xen-netback/xen-netback drivers/block/xen-blkfront drivers/net/xen-netfront \
	lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4; do
	f=$(ls "$mods/$m.ko"* 2>/dev/null | head -1) || true
	[ -n "$f" ] || { say "no module $m in $kver"; exit 1; }
	case $f in
	*.xz) xz -dc "$f" > "$ir/lib/modules/$(basename "${f%.xz}")" ;;
	*) cp "$f" "$ir/lib/modules/" ;;
	esac
done
libpath=$(find "$root" -name 'libxen*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
# a file at its path inside dom0, with the libraries it links (ours where we have them)
copy_in() {
	local src=$1 dst=$2 lib
	mkdir -p "$ir$(dirname "$dst")"
	cp -L "$src" "$ir$dst"
	{ LD_LIBRARY_PATH=${libpath}${EXTRA_LIBPATH:-} ldd "$src" 2>/dev/null || true; } | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\s*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		local at=${lib#"$root"}   # the packages' libraries go where the packages put them
		[ -e "$ir$at" ] || { mkdir -p "$ir$(dirname "$at")"; cp -L "$lib" "$ir$at"; }
	done
}
for b in xl libxl-save-helper xenstored xenconsoled xen-init-dom0; do
	copy_in "$root/usr/lib/xen-4.17/bin/$b" "/usr/lib/xen-4.17/bin/$b"
done
for b in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm xenstore-exists xenstore-chmod; do
	copy_in "$root/usr/bin/$b" "/usr/bin/$b"
done
# xl's hotplug scripts (block, vif-bridge) and what they need beyond busybox
mkdir -p "$ir/etc/xen/scripts"
cp -a "$root/etc/xen/scripts/." "$ir/etc/xen/scripts/"
copy_in /bin/bash /bin/bash
copy_in /usr/bin/flock /usr/bin/flock
gcc_s=$(ldconfig -p | sed -n 's/.*libgcc_s.so.1 (libc6,x86-64) => //p' | head -1)
copy_in "$gcc_s" "$gcc_s"   # glibc dlopens it for pthread_cancel: xl aborts without it
mkdir -p "$ir/etc/xen" "$ir/var/lib/xenstored"
: > "$ir/etc/xen/xl.conf"
for a in "${adds[@]}"; do
	copy_in "$a" "$(readlink -f "$a")"
done
if [ -n "$install" ]; then
	cp -a "$install/." "$ir/"
	ilibs=$(find "$install" -name '*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
	find "$install" -type f -perm -u+x | while read -r f; do
		[ "$(head -c 4 "$f" | tail -c 3)" = ELF ] || continue
		EXTRA_LIBPATH=":$ilibs" copy_in "$f" "${f#"$install"}"
	done
fi
mkdir -p "$ir/boot"
cp "$vmlinuz" "$ir/boot/vmlinuz"   # dom0's kernel, for guests to boot too
cp "$script" "$ir/xenbox-test"
chmod +x "$ir/xenbox-test"
cp "$(dirname "$0")/dom0-daemons.sh" "$ir/etc/dom0-daemons"
cat > "$ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs llc stp bridge loop xen-blkback xen-netback; do
	insmod /lib/modules/$m.ko
done
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin   # xl's hotplug scripts lock through them
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
# xl's default bridge, as on a Xen host: dom0 is 10.0.0.1 on it
brctl addbr xenbr0; echo 0 > /sys/class/net/xenbr0/bridge/forward_delay; echo 0 > /sys/class/net/xenbr0/bridge/stp_state
ip addr add 10.0.0.1/24 dev xenbr0; ip link set xenbr0 up; ip link set lo up
[ -e /sys/bus/pci/devices ] && grep -qs 0x1af4 /sys/bus/pci/devices/*/vendor &&
	for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
		insmod /lib/modules/$m.ko 2>/dev/null
	done
. /etc/dom0-daemons
echo "XENBOX: BEGIN"
if grep -q xenbox.probe /proc/cmdline; then   # the accelerator probe: what Xen offers
	xl info | sed -n 's/^virt_caps *: /virt_caps=/p'
	echo "XENBOX: END rc=0"
	poweroff -f
fi
xenbox_script
INIT
box_initrd "$ir" "$work/initrd.gz"

# ---- the boot ----
if [ -z "$accel" ]; then
	accel_why=
	if accel_kvm_probe "$kvm_cpu"; then accel=kvm; else accel=tcg; fi
	why=$accel_why
fi
say "accelerator: $accel ($why)"
[ -z "$print_accel" ] || { echo "$accel"; exit 0; }
say "booting Xen ($accel), dom0 Linux $kver"
log=$work/serial.log
set +e
if [ "$accel" = kvm ]; then
	box_boot kvm "$kvm_cpu" "$log" "$timeout" </dev/null
else
	box_boot tcg max,-xsave "$log" "$timeout" </dev/null
fi
qrc=$?
set -e
box_result "$log" "$qrc"

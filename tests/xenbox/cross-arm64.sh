#!/bin/bash
# tests/xenbox/cross-arm64.sh - physmap cross-built for arm64, for the
# arm64 xen box's dom0.
#
#   cross-arm64.sh SRCDIR BUILDDIR DESTDIR
#
# Debian's cross compiler (gcc-aarch64-linux-gnu) with a sysroot of the
# :arm64 -dev packages physmap builds against (libc6-dev, libxen-dev,
# yajl, urcu, fdt, ...), fetched with `apt-get download` and unpacked in
# $PHYSMAP_XENBOX_CACHE/arm64/sysroot (nothing :arm64 is installed on the
# host: libxen-dev is not co-installable across architectures). SRCDIR is
# configured for --host=aarch64-linux-gnu in BUILDDIR (kept, so a second
# run only rebuilds what changed), built, and installed with
# `make install DESTDIR=DESTDIR` (prefix /usr/local). One line on stderr
# says each step; the build's output is in BUILDDIR/cross.log.
set -euo pipefail
[ $# = 3 ] || { echo "usage: cross-arm64.sh SRCDIR BUILDDIR DESTDIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
build=$2
dest=$3
cache=${PHYSMAP_XENBOX_CACHE:-$HOME/.cache/physmap-xenbox}/arm64
say() { echo "cross-arm64: $*" >&2; }
. "$(dirname "$0")/packages.sh"
cc=aarch64-linux-gnu-gcc
command -v "$cc" >/dev/null || { say "$cc is missing (Debian package gcc-aarch64-linux-gnu)"; exit 1; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "adding the arm64 architecture to dpkg (for apt-get download of :arm64 packages)"
	{ dpkg --add-architecture arm64 && apt-get update >/dev/null; } || { say "dpkg --add-architecture arm64 failed"; exit 1; }
fi

sysroot=$cache/sysroot
pkgs=()
for p in libc6 libc6-dev linux-libc-dev libgcc-s1 libxen-dev libxenmisc4.17 libxencall1 libxendevicemodel1 \
	libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoolcore1 libxentoollog1 \
	libyajl-dev libyajl2 liburcu-dev liburcu8 liblzma-dev liblzma5 zlib1g-dev zlib1g libfdt-dev libfdt1 \
	libunicorn-dev libunicorn2 libcmocka-dev libcmocka0 libuuid1 libzstd1; do
	pkgs+=("$p:arm64")
done
box_fetch "$cache/sysroot-debs" "$sysroot" "${pkgs[@]}" || exit 1

mkdir -p "$build"
build=$(cd "$build" && pwd)
log=$build/cross.log
export PKG_CONFIG_SYSROOT_DIR=$sysroot
export PKG_CONFIG_LIBDIR=$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig
if [ ! -f "$build/config.status" ]; then
	say "configuring for aarch64-linux-gnu in $build"
	(cd "$build" && "$src/configure" --host=aarch64-linux-gnu --prefix=/usr/local \
		CC="$cc --sysroot=$sysroot" >"$log" 2>&1) ||
		{ tail -n 20 "$log" >&2; say "configure failed (all of it in $log)"; exit 1; }
fi
say "building ($(nproc 2>/dev/null || echo 2) jobs)"
make -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; say "the build failed (all of it in $log)"; exit 1; }
rm -rf "$dest"
make -C "$build" install DESTDIR="$dest" >>"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; say "make install failed (all of it in $log)"; exit 1; }
say "installed in $dest: pxl for $(readelf -h "$dest/usr/local/bin/pxl" | sed -n "s/^ *Machine: *//p")"

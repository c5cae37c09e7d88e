#!/bin/bash
# The examples in docs/examples build against the installed library through
# pkg-config physmap, and say what docs/p2m.md says they say.
. "$top_srcdir/tests/tap.sh"
need_tool cc gcc
need_tool pkg-config pkg-config

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plan 9

make -C "$top_builddir" install DESTDIR="$work/root" >"$work/install.log" 2>&1 ||
	bail "make install failed: $(tail -n 3 "$work/install.log")"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/libphysmap/physmap.pc")
export PKG_CONFIG_SYSROOT_DIR="$work/root" PKG_CONFIG_PATH="$work/root$prefix/lib/pkgconfig"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export LD_LIBRARY_PATH="$work/root$prefix/lib"

for ex in sizes p2m-tour; do
	check "$ex.c builds with pkg-config physmap" \
		cc -Wall -Werror $PM_SAN_CFLAGS "$top_srcdir/docs/examples/$ex.c" $(pkg-config --cflags --libs physmap) -o "$work/$ex"
done

out=$("$work/sizes" 512 2g 4096b 2>&1)
is "sizes reads xl's suffixes" "512 = 536870912 bytes = 512M" "$(echo "$out" | sed -n '2s/  */ /gp')"
"$work/sizes" 1.5g >/dev/null 2>&1
is "sizes refuses a fraction" 1 $?

out=$("$work/p2m-tour" 5g 2>&1)
is "p2m-tour exits 0" 0 $?
is "the PCI hole is one identity run" "identity 0xc0000-0x100000 1G" \
	"$(echo "$out" | grep -m1 ' identity *0xc0000-' | tr -s ' ' | sed 's/^ //; s/ $//')"
is "ballooned memory is a missing run" "missing 0x20000-0x24000 64M" \
	"$(echo "$out" | grep -m1 ' missing *0x20000-' | tr -s ' ' | sed 's/^ //; s/ $//')"
is "an aligned 1G hole costs only a top pointer" "identity sentinel mid" \
	"$(echo "$out" | grep -o 'pfn 0xc0000: top\[3\] -> identity sentinel mid' | sed 's/.*-> //')"
is "dom0 RAM in the hole is remapped above the top of RAM" \
	"moved 262241 pages to pfn 0x100000, 262241 pfns identity" \
	"$(echo "$out" | grep -o 'moved .*identity')"

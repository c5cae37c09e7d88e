#!/bin/bash
# tests/package/check-deb.sh - the Debian packages, built and used: make
# dist's tarball built by dpkg-buildpackage -us -uc -b into physmap,
# libphysmap0 and libphysmap-dev (the symbols file from libphysmap.sym,
# checked exactly), lintian with no error, the .debs unpacked into a fresh
# root, and the demo run from that root alone (scripts/demo-run; its real
# Xen step aside), a program built against the unpacked library by
# pkg-config, and dpkg-checkbuilddeps naming a missing build dependency.
# Run by make check-deb (scripts/test); TAP on stdout.
. "${top_srcdir:-.}/tests/tap.sh"
B=$(cd "${top_builddir:-.}" && pwd)
S=$(cd "${top_srcdir:-.}" && pwd)
W=$B/check-deb
rm -rf "$W"
mkdir -p "$W"
plan 7

tarball=$(cd "$B" && make -s dist-gzip >/dev/null 2>&1 && ls -t physmap-*.tar.gz | head -n 1)
[ -n "$tarball" ] || bail "make dist made no tarball"
tar -C "$W" -xzf "$B/$tarball"
src=$W/${tarball%.tar.gz}
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc 2>/dev/null || echo 2)" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
debs=$(cd "$W" && ls *.deb 2>/dev/null | sed 's/_.*//' | grep -v -- '-dbgsym$' | sort | tr '\n' ' ' | sed 's/ $//')
is "dpkg-buildpackage -us -uc -b builds physmap, libphysmap0 and libphysmap-dev (the symbols file exact: -c4)" \
	"0 libphysmap-dev libphysmap0 physmap" "$rc $debs"
[ "$rc" = 0 ] || tail -n 30 "$W/build.log" | sed 's/^/# /'
lintian --fail-on error "$W"/*.changes >"$W/lintian.log" 2>&1
is "lintian: no error" "0 0" "$? $(grep -c '^E: ' "$W/lintian.log")"
grep '^E: ' "$W/lintian.log" | head -n 10 | sed 's/^/# /'
root=$W/root
for d in "$W"/*.deb; do dpkg -x "$d" "$root"; done
is "each package holds what it should: programs and plugins, the library, headers and .pc" "yes yes yes yes" \
	"$([ -x "$root/usr/bin/pxl" ] && [ -x "$root/usr/bin/physmap-sim" ] && echo yes) \
$(ls "$root"/usr/lib/*/physmap/plugins/create.so >/dev/null 2>&1 && echo yes) \
$(ls "$root"/usr/lib/*/libphysmap.so.0 >/dev/null 2>&1 && echo yes) \
$([ -f "$root/usr/include/physmap/p2m.h" ] && ls "$root"/usr/lib/*/pkgconfig/physmap.pc >/dev/null 2>&1 && echo yes)"
# the demo from the unpacked packages alone: nothing of the build tree on its paths
PM_DEMO_XEN=no PATH=/usr/sbin:/usr/bin:/sbin:/bin "$S/scripts/demo-run" "$root" "$W/demo" >"$W/demo.log" 2>&1
rc=$?
is "the demo runs from the unpacked packages alone (its real Xen step aside), to its summary" "0 yes" \
	"$rc $(grep -q '^== summary' "$W/demo.log" && echo yes)"
[ "$rc" = 0 ] || tail -n 20 "$W/demo.log" | sed 's/^/# /'
is "and uses only what they installed (no path of the build tree in what it ran)" "0" \
	"$(grep -c "$B/\(pxl\|physmap-\|xl-plugins\|tests/guests\|libphysmap\)" "$W/demo.log")"
pc=$(dirname "$(ls "$root"/usr/lib/*/pkgconfig/physmap.pc)")
cat >"$W/consumer.c" <<'C'
#include <stdio.h>
#include <physmap/p2m.h>
#include <physmap/size.h>
int main(void)
{
	struct pm_p2m *p;
	char s[32];
	if (pm_p2m_create(1 << 20, NULL, &p) || pm_p2m_set_range(p, 0x100, 0x1234, 16))
		return 1;
	pm_size_format(pm_p2m_lookup(p, 0x105) << 12, s, sizeof(s));
	printf("%s\n", s);
	pm_p2m_free(p);
	return 0;
}
C
out=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pc PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 \
	sh -c 'cc "$1" $(pkg-config --cflags --libs physmap) -o "$2" && pkg-config --static --libs physmap >/dev/null' \
	x "$W/consumer.c" "$W/consumer" 2>&1 && LD_LIBRARY_PATH=$(dirname "$(ls "$root"/usr/lib/*/libphysmap.so.0)") "$W/consumer")
is "a program built by pkg-config (--cflags --libs, and --static resolves) against the unpacked library runs" \
	"18660K" "$out"
sed -i 's/^ python3,$/ python3,\n physmap-no-such-package,/' "$src/debian/control"
out=$(cd "$src" && dpkg-checkbuilddeps 2>&1)
is "a missing build dependency: dpkg-checkbuilddeps names it, exit 1" "1 1" \
	"$? $(printf '%s\n' "$out" | grep -c 'Unmet build dependencies: physmap-no-such-package')"

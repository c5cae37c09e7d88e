#!/bin/bash
# man-pages.sh - the manual pages make builds (man/): each renders with no
# groff warning, says what the programs' own tables say (every pxl command
# with its options, every xl.cfg key, every daemon option, every function
# the library's headers declare), and installs where man looks
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
S=${top_srcdir:-.}
pages="pxl.1 pxl.cfg.5 physmap-sim.8 physmap-dm.8 physmap-xenstored.8 libphysmap.3"
for p in $pages; do [ -f "$B/man/$p" ] || bail "man/$p not built"; done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs

plan 7
bad=
for p in $pages; do
	w=$(groff -man -ww -z "$B/man/$p" 2>&1)
	r=$(MANWIDTH=80 man -l "$B/man/$p" 2>/dev/null | wc -l)
	[ -z "$w" ] && [ "$r" -gt 20 ] || bad="$bad $p"
done
is "each of the six pages renders (man -l), with no groff warning (-ww)" "" "$bad"
cmds=$("$B/pxl" help | awk '/^  [a-z]/ { print $1 }' | sort)
is "pxl(1) has a section for every command pxl help lists ($(echo $cmds | wc -w))" "" \
	"$(comm -23 <(printf '%s\n' $cmds) <(sed -n 's/^\.SS \([a-z0-9-]*\)$/\1/p' "$B/man/pxl.1" | sort) | tr '\n' ' ')"
missing=
for c in mem-set save migrate create list; do
	for o in $("$B/pxl" "$c" --help | sed -n 's/^  -., --\([a-z-]*\).*/\1/p' | grep -vx help); do
		sed -n "/^\.SS $c\$/,/^\.SS /p" "$B/man/pxl.1" | grep -q "\\\\-\\\\-$(echo "$o" | sed 's/-/\\\\-/g')\\\\fR" ||
			missing="$missing $c:--$o"
	done
done
is "each command's options there are its --help's (create, list, mem-set, save, migrate; -h aside)" "" "$missing"
keys=$(sed -n 's/^| `\([a-z_0-9]*\)` |.*/\1/p' "$S/docs/xl-cfg-keys.md" | sort -u)
is "pxl.cfg(5) has every key of docs/xl-cfg-keys.md ($(echo $keys | wc -w))" "" \
	"$(for k in $keys; do grep -q "^\.B $(echo "$k" | sed 's/-/\\\\-/g')\$" "$B/man/pxl.cfg.5" || printf '%s ' "$k"; done)"
missing=
for d in physmap-sim physmap-dm physmap-xenstored; do
	for o in $("$B/$d" --help | sed -n 's/^  -., --\([a-z-]*\).*/\1/p'); do
		grep -q "\\\\-\\\\-$(echo "$o" | sed 's/-/\\\\-/g')\\\\fR" "$B/man/$d.8" || missing="$missing $d:--$o"
	done
done
is "the daemons' pages have every option of their --help" "" "$missing"
missing=
for s in $(sed -n 's/^    \(pm_[a-z0-9_]*\);/\1/p' "$S/libphysmap/libphysmap.sym"); do
	grep -q "[ *]$s(" "$S"/libphysmap/include/physmap/*.h || continue   # declared in an installed header
	grep -q "$(echo "$s" | sed 's/_/\\_/g')" "$B/man/libphysmap.3" || missing="$missing $s"
done
is "libphysmap(3) names every function its installed headers declare" "" "$missing"
make -s -C "$B" install-man DESTDIR="$T/d" >/dev/null 2>&1
is "make install puts them where man looks (man1, man3, man5, man8)" \
	"man1/pxl.1 man3/libphysmap.3 man5/pxl.cfg.5 man8/physmap-dm.8 man8/physmap-sim.8 man8/physmap-xenstored.8" \
	"$(cd "$T/d" && find . -name '*.[1358]' | sed 's|.*/share/man/||' | sort | tr '\n' ' ' | sed 's/ $//')"

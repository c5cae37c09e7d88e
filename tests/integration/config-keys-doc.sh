#!/bin/bash
# config-keys-doc.sh - docs/xl-cfg-keys.md is what the code's key tables
# print (tests/integration/config-keys-doc), so the table of keys users
# read is the one pxl applies
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
S=${top_srcdir:-.}
[ -x "$B/tests/integration/config-keys-doc" ] || bail "config-keys-doc not built"
plan 3
out=$("$B/tests/integration/config-keys-doc" | diff "$S/docs/xl-cfg-keys.md" - | head -10)
is "docs/xl-cfg-keys.md is what the key tables print (make update-docs rewrites it)" "" "$out"
doc=$(cat "$S/docs/xl-cfg-keys.md")
is "it has every xl.cfg key the unit test lists: 148, plus physmap's board and kernel_format keys" "150" \
	"$(printf '%s\n' "$doc" | sed -n 's/^\([0-9]*\) keys of xl.cfg.*/\1/p')"
is "each ignored key has its reason, each honoured one both backends" "0" \
	"$(printf '%s\n' "$doc" | grep -c '^| `[a-z_0-9]*` | *|')"

#!/bin/bash
# libphysmap.so exports exactly the symbols its version script lists:
# nothing internal leaks, nothing listed is missing.
. "$top_srcdir/tests/tap.sh"
need_tool nm binutils

lib="$top_builddir/.libs/libphysmap.so"
[ -e "$lib" ] || bail "$lib not built"

listed=$(sed -n 's/^[[:space:]]*\(pm_[a-z0-9_]*\);.*/\1/p' "$top_srcdir/libphysmap/libphysmap.sym" | sort)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort)

plan 3
is "every listed symbol is exported" "" "$(comm -23 <(echo "$listed") <(echo "$exported") | tr '\n' ' ')"
is "nothing unlisted is exported" "" "$(comm -13 <(echo "$listed") <(echo "$exported") | tr '\n' ' ')"
versioned=$(nm -D --defined-only "$lib" | grep -c ' pm_[a-z0-9_]*@@PHYSMAP_')
is "exports carry the PHYSMAP version node" "$(echo "$listed" | grep -c .)" "$versioned"

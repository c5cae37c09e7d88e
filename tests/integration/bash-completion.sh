#!/bin/bash
# bash-completion.sh - the completion script make builds (completion/pxl,
# installed where bash-completion looks): commands, each command's
# options, domain names where its synopsis says DOMAIN (asked of a running
# simulator only: completing never starts one, and says nothing where
# there is none), files, and xl.cfg keys for create's KEY=VALUE
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
S=${top_srcdir:-.}
C=$(cd "$B" && pwd)/completion/pxl
[ -f "$C" ] || bail "completion/pxl not built"
GX=$B/tests/guests/x86/guest.elf
. "$S/tests/integration/guest-lib.sh"
# "pxl" on the PATH, as the completion calls it
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$(cd "$B" && pwd)/pxl" >"$T/bin/pxl"
chmod +x "$T/bin/pxl"
# what completing the words given (the last one being typed) offers, sorted, on one line
offers() {
	PATH=$T/bin:$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pxl 2>&1
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' x "$C" "$@"
}

plan 7
is "a command's prefix: the commands it begins" "domid domname" "$(offers pxl dom)"
is "an option of mem-set" "--no-wait" "$(offers pxl mem-set --no)"
is "create's KEY=VALUE after the file: xl.cfg's keys" "yes" \
	"$(offers pxl create pc.cfg me | tr ' ' '\n' | grep -qx 'memory=' && echo yes)"
rm -rf "$PHYSMAP_RUNDIR"
out=$(offers pxl destroy '')
is "no simulator running: no names, nothing said, none started (its run directory not even made)" "| no" \
	"$out| $([ -e "$PHYSMAP_RUNDIR" ] && echo yes || echo no)"
"$PXL" create "$EX/pc.cfg" name=alpha kernel="$GX" memory=32 'vif=[]' -p >/dev/null 2>&1
"$PXL" create "$EX/pc.cfg" name=beta kernel="$GX" memory=32 'vif=[]' -p >/dev/null 2>&1
is "destroy's DOMAIN: the domains of the running simulator" "Domain-0 alpha beta" "$(offers pxl destroy '')"
is "mem-set DOMAIN SIZE: a domain first, nothing to list for the size" "alpha|" \
	"$(offers pxl mem-set al)|$(offers pxl mem-set alpha 1)"
is "save DOMAIN FILE: a file second" "somefile" "$(cd "$T" && touch somefile && offers pxl save alpha some)"
"$PXL" destroy alpha
"$PXL" destroy beta

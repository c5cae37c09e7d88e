#!/bin/bash
# tests/xenbox/xtf-xen.sh - part of `make check-xen`: the Xen Test
# Framework's hvm32 and hvm64 images (tests/integration/xtf-lib.sh) booted
# as PVH guests by Xen's own xl on real Xen 4.17 in the xen box, the
# reference the simulator's results (xtf-sim.sh) are held against. Each
# image's result line goes to $top_builddir/xtf-xen-results.txt, one
# "NAME RESULT" per line, and must be what docs/xtf.md records. Not run,
# and said so by name, where there is no XTF source.
. "${top_srcdir:-.}/tests/tap.sh"
S=${top_srcdir:-.}
B=${top_builddir:-.}
for t in qemu-system-x86_64 apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || bail "$t missing (scripts/deps.sh installs it)"
done
. "$S/tests/integration/xtf-lib.sh"
T=$(mktemp -d)
G=/var/tmp/physmap-xtf-$$   # a path dom0's /tmp does not hide
mkdir -p "$G"
trap 'rm -rf "$T" "$G"' EXIT
n=0
for img in $XTF_IMAGES; do
	cp "$img" "$G/" && echo "$(basename "$img") $(xtf_vcpus "$img")" >>"$G/vcpus" && n=$((n + 1))
done
(cd "$G" && tar cf "$G.tar" .) && mv "$G.tar" "$G/images.tar"

cat >"$T/inside" <<INSIDE
#!/bin/sh
G=$G
INSIDE
cat >>"$T/inside" <<'INSIDE'
cd "$G" && tar xf images.tar && rm images.tar
xl=/usr/lib/xen-4.17/bin/xl
# each image as a PVH guest (tsc_mode native: see xen-box.md); its result
# line from its console log (xenconsoled's), or how its domain ended
for img in test-hvm*; do
	printf 'name = "%s"\ntype = "pvh"\nmemory = 128\nvcpus = %s\nkernel = "%s"\ntsc_mode = "native"\non_poweroff = "preserve"\non_crash = "preserve"\non_reboot = "preserve"\n' \
		"$img" "$(awk -v i="$img" '$1 == i { print $2 }' vcpus)" "$G/$img" >/tmp/x.cfg
	if ! $xl create /tmp/x.cfg >/tmp/x.out 2>&1; then
		echo "xtf: $img create-refused $(tail -n 1 /tmp/x.out)"
		continue
	fi
	log=/var/log/xen/console/guest-$img.log
	r=
	for i in $(seq 300); do
		r=$(grep -a -m1 -o 'Test result: [A-Z]*' "$log" 2>/dev/null | sed 's/.*: //')
		[ -n "$r" ] && break
		s=$($xl list "$img" 2>/dev/null | awk 'NR == 2 { print $5 }')
		case $s in *s* | *c*) break ;; esac
		sleep 0.1
	done
	[ -n "$r" ] || r=$(grep -a -m1 -o 'Test result: [A-Z]*' "$log" 2>/dev/null | sed 's/.*: //')
	[ -n "$r" ] || case $($xl list "$img" 2>/dev/null | awk 'NR == 2 { print $5 }') in
		*c*) r=crashed ;;
		*s*) r=ended-without-result ;;
		*) r=no-result-in-30s ;;
	esac
	echo "xtf: $img $r"
	$xl destroy "$img" >/dev/null 2>&1
done
echo "left: $($xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
INSIDE
plan 4
out=$("$S/tests/xenbox/xenbox.sh" --add "$G/images.tar" --timeout 1500 "$T/inside" 2>"$T/err")
is "the box boots Xen and dom0 and returns the script's status" "0" "$?"
grep '^xenbox: accelerator' "$T/err" | sed 's/^/# /'
res=$B/xtf-xen-results.txt
printf '%s\n' "$out" | sed -n 's/^xtf: \([^ ]*\) \([^ ]*\).*/\1 \2/p' >"$res"
is "xl created every hvm32 and hvm64 image of XTF as a PVH guest ($n)" "$n" \
	"$(awk '$2 != "create-refused"' "$res" | wc -l)"
printf '%s\n' "$out" | sed -n 's/^xtf: \([^ ]*\) create-refused /# \1: /p' | head -n 5
is "no domain is left but dom0" "Domain-0 " "$(printf '%s\n' "$out" | sed -n 's/^left: //p')"
c() { awk -v r="$1" '$2 == r' "$res" | wc -l; }
echo "# real Xen: $(c SUCCESS) SUCCESS, $(c SKIP) SKIP, $(c FAILURE) FAILURE, $(c ERROR) ERROR of $n ($res)"
diffs=$(xtf_xen_recorded | LC_ALL=C sort | diff - <(LC_ALL=C sort "$res") | grep '^[<>]')
is "every result is the one docs/xtf.md records for real Xen" "" "$diffs" ||
	printf '%s\n' "$diffs" | sed 's/^/# /' | head -n 20
tap_done

#!/bin/bash
# tests/xenbox/check-xen.sh - `make check-xen`: the xen box's own health,
# in TAP (the xen backend's suite will run here as it grows): Xen 4.17
# boots under QEMU, dom0 comes up with xenstored and xenconsoled, Xen's xl
# sees the hypervisor with HVM and HAP (so PVH guests can run).
. "${top_srcdir:-.}/tests/tap.sh"
S=${top_srcdir:-.}
for t in qemu-system-x86_64 apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || bail "$t missing (scripts/deps.sh installs it)"
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/inside" <<'INSIDE'
#!/bin/sh
xl info | sed -n 's/^\(xen_version\|virt_caps\) *: /\1=/p'
echo "list: $(xl list | awk 'NR > 1 { print $1, $2 }' | tr '\n' '|')"
echo "store: $(xenstore-read /local/domain/0/name 2>&1)"
echo "daemons: $(pidof xenstored >/dev/null && echo xenstored) $(pidof xenconsoled >/dev/null && echo xenconsoled)"
INSIDE
plan 5
out=$("$S/tests/xenbox/xenbox.sh" --timeout 300 "$T/inside" 2>"$T/err")
is "the box boots Xen and dom0 and returns the script's status" "0" "$?"
[ -s "$T/err" ] && sed 's/^/# /' "$T/err" | tail -n 5
is "Xen 4.17 runs with HVM and hardware-assisted paging (PVH guests can run)" "4.17 hvm hap" \
	"$(printf '%s\n' "$out" | sed -n 's/^xen_version=\([0-9]*\.[0-9]*\).*/\1/p') \
$(printf '%s\n' "$out" | sed -n 's/^virt_caps=.*\(hvm\).*/\1/p') $(printf '%s\n' "$out" | sed -n 's/^virt_caps=.*\(hap\).*/\1/p')"
is "xl lists dom0 alone" "Domain-0 0|" "$(printf '%s\n' "$out" | sed -n 's/^list: //p')"
is "xenstored answers: dom0's name is there" "Domain-0" "$(printf '%s\n' "$out" | sed -n 's/^store: //p')"
is "xenstored and xenconsoled run in dom0" "xenstored xenconsoled" "$(printf '%s\n' "$out" | sed -n 's/^daemons: //p')"

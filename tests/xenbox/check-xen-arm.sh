#!/bin/bash
# tests/xenbox/check-xen-arm.sh - `make check-xen-arm`: real Xen 4.17 for
# arm64 booted under qemu-system-aarch64 (tests/xenbox/xenbox-arm.sh),
# physmap cross-built for arm64 (tests/xenbox/cross-arm64.sh) and
# installed in its dom0, in TAP. One boot: the box's own health and Xen's
# xl creating an arm64 Linux guest (the oracle), then pxl beside xl on the
# same Xen: info, list.
. "${top_srcdir:-.}/tests/tap.sh"
S=${top_srcdir:-.}
B=${top_builddir:-.}
for t in qemu-system-aarch64 aarch64-linux-gnu-gcc apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || bail "$t missing (scripts/deps.sh installs it)"
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$S/tests/xenbox/cross-arm64.sh" "$S" "$B/cross-arm64" "$T/dest" 2>"$T/cross.err" ||
	bail "physmap did not cross-build for arm64: $(tail -1 "$T/cross.err")"

cat > "$T/inside" <<'INSIDE'
#!/bin/sh
export PHYSMAP_CONNECT=xen
xl info | sed -n 's/^\(machine\|xen_version\|xen_caps\|total_memory\) *: /\1=/p'
echo "list: $(xl list | awk 'NR > 1 { print $1, $2 }' | tr '\n' '|')"
echo "daemons: $(pidof xenstored >/dev/null && echo xenstored) $(pidof xenconsoled >/dev/null && echo xenconsoled)"

# xl's arm64 guest: dom0's own Image and the guests' initramfs
cat > /tmp/xl1.cfg <<CFG
name = "xl1"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/guest-initrd.gz"
extra = "console=hvc0 rdinit=/init"
memory = 128
vcpus = 2
CFG
xl create /tmp/xl1.cfg >/tmp/out 2>&1; echo "xl-create: $?"
for i in $(seq 120); do grep -q "GUEST: down" /var/log/xen/console/guest-xl1.log 2>/dev/null && break; sleep 0.5; done
echo "xl-guest: $(grep -m1 'GUEST: up' /var/log/xen/console/guest-xl1.log | tr -d '\r')"
echo "xl-fdt: $(sed -n 's/^GUEST: fdt //p' /var/log/xen/console/guest-xl1.log | tr -d '\r' | head -1)"
echo "sizes: $(stat -c %s /boot/vmlinuz) $(stat -c %s /boot/guest-initrd.gz)"
for i in $(seq 60); do xl list xl1 >/dev/null 2>&1 || break; sleep 0.5; done
echo "after-xl: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' '|')"

# pxl's arm64 guest: the same config, on the xenarm board (Xen's Arm guest, as xl builds it)
sed 's/^name = "xl1"$/name = "p1"/' /tmp/xl1.cfg > /tmp/p1.cfg
echo 'board = "xenarm"' >> /tmp/p1.cfg
pxl create /tmp/p1.cfg >/tmp/out 2>&1; echo "pxl-create: $? $(cat /tmp/out)"
echo "pxl-running: $(xl list p1 2>/dev/null | awk 'NR == 2 { print $1, $4 }')"
for i in $(seq 120); do grep -q "GUEST: down" /var/log/xen/console/guest-p1.log 2>/dev/null && break; sleep 0.5; done
echo "pxl-guest: $(grep -m1 'GUEST: up' /var/log/xen/console/guest-p1.log | tr -d '\r')"
echo "pxl-fdt: $(sed -n 's/^GUEST: fdt //p' /var/log/xen/console/guest-p1.log | tr -d '\r' | head -1)"
for i in $(seq 60); do xl list p1 >/dev/null 2>&1 || break; sleep 0.5; done
echo "after-pxl: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' '|')"

# a pxl guest that runs on: console, pause and unpause, ballooning, its tree from its memory, destroy
sed 's/^name = "p1"$/name = "p2"/; s/rdinit=\/init/rdinit=\/init stay/' /tmp/p1.cfg > /tmp/p2.cfg
pxl create /tmp/p2.cfg >/tmp/out 2>&1; echo "p2-create: $?"
for i in $(seq 120); do grep -q "GUEST: staying" /var/log/xen/console/guest-p2.log 2>/dev/null && break; sleep 0.5; done
echo "p2-console: $(pxl console --dump p2 2>&1 | tr -d '\r' | grep -m1 '^GUEST: up')"
pxl pause p2; echo "p2-pause: $? $(xl list p2 | awk 'NR == 2 { print $5 }')"
pxl unpause p2; echo "p2-unpause: $? $(xl list p2 | awk 'NR == 2 { print $5 }')"
pxl dumpdtb p2 /tmp/p2.dtb >/dev/null 2>&1; echo "p2-dumpdtb: $?"
od -An -v -tx1 /tmp/p2.dtb | tr -d ' \n' | sed 's/^/p2-dtb: /'; echo
echo "p2-p2m: $(pxl p2m p2 2>&1 | awk '$1 == "ram" { print $2 }' | tr '\n' ' ')"
pxl mem-set p2 112; echo "p2-memset: $?"
for i in $(seq 180); do [ "$(xl list p2 | awk 'NR == 2 { print $3 }')" = 112 ] && break; sleep 0.5; done
echo "p2-mem: $(xl list p2 | awk 'NR == 2 { print $3 }') $(pxl list p2 | awk 'NR == 2 { print $3 }')"
# what Xen 4.17 on Arm cannot do: refused at once, the guest running on
pxl save p2 /tmp/p2.save >/tmp/out 2>&1; echo "p2-save: $? $(wc -l < /tmp/out) $(cat /tmp/out)|$(xl list p2 | awk 'NR == 2 { print $5 }')"
xl save p2 /tmp/x.save >/tmp/out 2>&1; echo "p2-xlsave: $? $(cat /tmp/out)"
pxl restore /tmp/p2.save >/tmp/out 2>&1; echo "p2-restore: $? $(wc -l < /tmp/out)"
pxl migrate p2 localhost >/tmp/out 2>&1; echo "p2-migrate: $? $(wc -l < /tmp/out) $(cat /tmp/out)"
pxl destroy p2; echo "p2-destroy: $? $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' '|')"

# the vpl011 (vuart = "sbsa_uart"): the guest's console on it, served by xenconsoled; xl's the oracle
for t in xl pxl; do
	printf 'name = "%sv"\nkernel = "/boot/vmlinuz"\nramdisk = "/boot/guest-initrd.gz"\nmemory = 128\n' $t > /tmp/$t-v.cfg
	printf 'extra = "console=ttyAMA0 rdinit=/init"\nvuart = "sbsa_uart"\nboard = "xenarm"\n' >> /tmp/$t-v.cfg
done
sed -i '/^board = /d' /tmp/xl-v.cfg
xl create /tmp/xl-v.cfg >/dev/null 2>&1; echo "xlv-create: $?"
pxl create /tmp/pxl-v.cfg >/tmp/out 2>&1; echo "pxlv-create: $? $(cat /tmp/out)"
for t in xl pxl; do
	for i in $(seq 120); do grep -q "GUEST: down" /var/log/xen/console/guest-${t}v-vuart0.log 2>/dev/null && break; sleep 0.5; done
	echo "${t}v-uart: $(grep -m1 'GUEST: up' /var/log/xen/console/guest-${t}v-vuart0.log 2>/dev/null | tr -d '\r')"
done
for i in $(seq 60); do xl list pxlv >/dev/null 2>&1 || xl list xlv >/dev/null 2>&1 || break; sleep 0.5; done

# bad input: one line naming the key, exit 1, nothing left
printf 'name = "b1"\nboard = "xenarm"\nkernel = "/bin/busybox"\nmemory = 64\n' > /tmp/b1.cfg
pxl create /tmp/b1.cfg >/tmp/out 2>&1; echo "bad-kernel: $? $(wc -l < /tmp/out) $(cat /tmp/out)"
printf 'name = "b2"\nboard = "xenarm"\nkernel = "/boot/vmlinuz"\nmemory = 64\ngic_version = "v2"\n' > /tmp/b2.cfg
pxl create /tmp/b2.cfg >/tmp/out 2>&1; echo "bad-gic: $? $(wc -l < /tmp/out) $(cat /tmp/out)"
printf 'name = "b3"\nboard = "xenarm"\nkernel = "/boot/vmlinuz"\nmemory = "1100g"\n' > /tmp/b3.cfg
pxl create /tmp/b3.cfg >/tmp/out 2>&1; echo "bad-memory: $? $(wc -l < /tmp/out) $(cat /tmp/out)"
echo "after-bad: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' '|')"

# pxl, cross-built, beside xl
echo "pxl-file: $(pxl --version 2>&1 | head -1)"
echo "pxl-info: $(pxl info -b 2>&1 | awk -F' *: ' '/^physmap_backend/ { b = $2 } /^total_memory/ { t = $2 } /^machine/ { m = $2 } END { print b, m, t }')"
xl info | grep -v '^free_memory' > /tmp/info-xl; pxl info | grep -v '^free_memory' > /tmp/info-pxl
echo "info-diff: $(wc -l < /tmp/info-xl) $(diff /tmp/info-xl /tmp/info-pxl | grep -c '^[<>]')"
diff /tmp/info-xl /tmp/info-pxl | grep '^[<>]' | head -6 | sed 's/^/info-diff-line: /'
xl list | cut -c1-63 > /tmp/list-xl; pxl list 2>&1 | cut -c1-63 > /tmp/list-pxl
echo "list-diff: $(wc -l < /tmp/list-xl) $(diff /tmp/list-xl /tmp/list-pxl | grep -c '^[<>]')"
diff /tmp/list-xl /tmp/list-pxl | grep '^[<>]' | head -4 | sed 's/^/list-diff-line: /'
INSIDE

"$S/tests/xenbox/xenbox-arm.sh" --install "$T/dest" --timeout 400 "$T/inside" > "$T/out" 2> "$T/err"
box=$?
got() { sed -n "s/^$1: //p" "$T/out" | head -1; }
kv() { sed -n "s/^$1=//p" "$T/out" | head -1; }

# the tree xl's guest got (it printed /sys/firmware/fdt) beside the xenarm board's for the same
# guest; Linux wipes /chosen/rng-seed once it has used it, so the seed is left out of both
tree() { dtc -q -s -I dtb -O dts "$1" 2>/dev/null | grep -v 'rng-seed = '; }
python3 -c "import sys; open(sys.argv[2], 'wb').write(bytes.fromhex(sys.argv[1]))" "$(got xl-fdt)" "$T/xl.dtb" 2>/dev/null
python3 -c "import sys; open(sys.argv[2], 'wb').write(bytes.fromhex(sys.argv[1]))" "$(got pxl-fdt)" "$T/p1.dtb" 2>/dev/null
read -r ksize isize <<<"$(got sizes)"
"$B/tests/integration/board-dump" xenarm 128M --vcpus=2 --kernel="${ksize:-0}" --initrd="${isize:-0}" \
	--cmdline="console=hvc0 rdinit=/init" --dtb="$T/pxl.dtb" >"$T/dump.out" 2>&1

python3 -c "import sys; open(sys.argv[2], 'wb').write(bytes.fromhex(sys.argv[1]))" "$(got p2-dtb)" "$T/p2.dtb" 2>/dev/null

plan 30
is "the arm64 box ran its script (status 0)" "0" "$box" || { sed 's/^/#   /' "$T/err" | tail -n 20; }
is "Xen 4.17 on aarch64, dom0 with 2048 MiB" "aarch64 4.17 2048" "$(kv machine) $(kv xen_version | cut -d. -f1,2) $(kv total_memory)"
is "xenstored and xenconsoled run, dom0 alone" "xenstored xenconsoled|Domain-0 0|" "$(got daemons)|$(got list)"
is "xl creates an arm64 Linux guest (Image, ramdisk, 2 vCPUs)" "0" "$(got xl-create)"
like "its console: it booted with 2 vCPUs and 128 MiB" "^GUEST: up, 2 vCPUs, [0-9]* kB$" "$(got xl-guest)"
is "it powered off and is gone: dom0 alone" "Domain-0|" "$(got after-xl)"
like "pxl, cross-built for arm64, runs in dom0" "^pxl " "$(got pxl-file)"
like "pxl creates the same guest on the xenarm board: exit 0, running with its vCPU 0" \
	"^0 created p1 as domain [0-9]+\|p1 1$" "$(got pxl-create)|$(got pxl-running)"
is "its console: it booted with 2 vCPUs and the memory xl's guest had" "$(got xl-guest)" "$(got pxl-guest)"
pdiff=$(diff <(tree "$T/xl.dtb") <(tree "$T/p1.dtb"))
tree "$T/p1.dtb" | grep -q 'model = "XENVM-4.17"' || pdiff="pxl's guest printed no device tree ($(got pxl-fdt | cut -c1-40))"
is "the device tree pxl's guest got is the one xl's guest got, node for node" "" "$pdiff" ||
	printf '%s\n' "$pdiff" | head -n 30 | sed 's/^/#   /'
is "it powered off and is gone: dom0 alone" "Domain-0|" "$(got after-pxl)"
is "pxl console --dump shows a running guest's console" "GUEST: up, 2 vCPUs, $(got xl-guest | sed 's/.*vCPUs, //')" "$(got p2-console)"
like "pxl pause and unpause: xl sees it paused, then running" "^0 [-rb]{2}p-{3}\|0 [-rb]{2}-{4}$" \
	"$(got p2-pause)|$(got p2-unpause)"
qdiff=$(diff <(tree "$T/xl.dtb") <(sed 's/ stay";/";/' <(tree "$T/p2.dtb")))
is "pxl dumpdtb of the running guest: the tree in its memory is xl's guest's (its command line aside)" "0|" \
	"$(got p2-dumpdtb)|$qdiff" || printf '%s\n' "$qdiff" | head -n 20 | sed 's/^/#   /'
like "pxl p2m: the frames Xen reports: the grant table frames the guest mapped, the rings in the magic window, 128 MiB at 1 GiB" \
	"^0x38000-0x380[0-9a-f]+ 0x39000-0x39002 0x40000-0x48000 $" "$(got p2-p2m)"
is "pxl mem-set 112: Linux's balloon gives 16 MiB back, xl and pxl list 112 MiB" "0|112 112" "$(got p2-memset)|$(got p2-mem)"
like "pxl save is refused in one line naming why (xl: command not implemented); the guest runs on" \
	"^1 1 pxl save: domain [0-9]+: Xen 4.17 on Arm cannot save, restore or migrate a domain \(xl: command not implemented\)\|[rb-]{6}$" \
	"$(got p2-save)"
is "xl save says the same (the oracle)" "1 command not implemented" "$(got p2-xlsave)"
is "pxl restore is refused in one line" "1 1" "$(got p2-restore)"
is "pxl migrate is refused in one line, before the other host is reached" \
	"1 1 pxl migrate: p2: Xen 4.17 on Arm cannot save, restore or migrate a domain (xl: command not implemented)" \
	"$(got p2-migrate)"
is "pxl destroy: dom0 alone" "0 Domain-0|" "$(got p2-destroy)"
like "xl's guest with vuart = \"sbsa_uart\" speaks on the vpl011 (console=ttyAMA0), xenconsoled logs it" \
	"^0\|GUEST: up, 1 vCPUs" "$(got xlv-create)|$(got xlv-uart)"
is "pxl's does the same: its vpl011 set up in Xen, its ring served by xenconsoled" \
	"0 created pxlv as domain $(got pxlv-create | sed -n 's/.* domain \([0-9]*\)$/\1/p')|$(got xlv-uart)" \
	"$(got pxlv-create)|$(got pxlv-uart)"
like "a kernel that is not an arm64 Image: exit 1, one line naming it" \
	"^1 1 pxl create: b1: kernel /bin/busybox: not an arm64 Image" "$(got bad-kernel)"
like "a GIC the host's Xen does not offer (v2 on GICv3): exit 1, one line naming gic_version" \
	"^1 1 pxl create: b2: gic_version: v2: " "$(got bad-gic)"
like "memory beyond the RAM banks: exit 1, one line naming memory" "^1 1 pxl create: /tmp/b3.cfg:4: .*memory" "$(got bad-memory)"
is "after them: dom0 alone" "Domain-0|" "$(got after-bad)"
is "pxl info: the xen backend, aarch64, total_memory as xl's" "xen aarch64 2048" "$(got pxl-info)"
dtdiff=$(diff <(tree "$T/xl.dtb") <(tree "$T/pxl.dtb"))
tree "$T/xl.dtb" | grep -q 'model = "XENVM-4.17"' || dtdiff="xl's guest printed no device tree ($(got xl-fdt | cut -c1-40))"
tree "$T/pxl.dtb" | grep -q 'model = "XENVM-4.17"' || dtdiff="board-dump wrote no tree: $(head -1 "$T/dump.out")"
is "the xenarm board's device tree is the one xl's guest got, node for node (its rng-seed used up)" "" "$dtdiff" ||
	printf '%s\n' "$dtdiff" | head -n 30 | sed 's/^/#   /'
is "pxl info and pxl list equal xl's (free memory aside)" "0 0" \
	"$(got info-diff | cut -d' ' -f2) $(got list-diff | cut -d' ' -f2)" ||
	grep -E '^(info|list)-diff-line: ' "$T/out" | sed 's/^/#   /'
tap_done

#!/bin/bash
# pxl-cli.sh - the command line and its plugins: help and completion from
# the option tables, prefixes, exit statuses, plugins that must be skipped,
# and the subcommands that work from a config file alone (create -n,
# board, e820, dumpdtb) with their one-line errors.
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
S=${top_srcdir:-.}
PXL=$B/pxl
[ -x "$PXL" ] || bail "$PXL not built"
need_tool dtc device-tree-compiler
need_tool python3 python3
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
EX=$S/docs/examples

plan 36

out=$("$PXL" help)
is "pxl help lists xl's commands in xl help's order" "create config-update list destroy shutdown reboot pci-list pci-assignable-list pause unpause console save migrate restore migrate-receive dump-core mem-max mem-set button-press vcpu-list vcpu-pin vcpu-set vm-list info sharing sched-credit sched-credit2 domid domname rename trigger sysrq debug-keys set-parameters dmesg top network-attach network-list network-detach block-attach block-list block-detach uptime claims cpupool-list getenforce setenforce" \
	"$(printf '%s\n' "$out" | sed -n "/^xl's commands/,/^\$/s/^  \([a-z0-9-]*\) .*/\1/p" | tr '\n' ' ' | sed 's/ $//')"
is "then physmap's own" "help completion man plugin-index board dumpdtb e820 p2m" \
	"$(printf '%s\n' "$out" | sed -n "/^physmap's own/,/^\$/s/^  \([a-z0-9-]*\) .*/\1/p" | tr '\n' ' ' | sed 's/ $//')"
is "pxl CMD --help is pxl help CMD" "$("$PXL" help create)" "$("$PXL" create --help)"
out=$("$PXL" help create)
if printf '%s\n' "$out" | grep -q -- '-n, --dryrun' && printf '%s\n' "$out" | grep -q -- '-p, --paused'; then
	ok "a command's help comes from its option table"
else
	fail "a command's help comes from its option table" "$out"
fi
is "a unique prefix runs the command" "$("$PXL" create -n "$EX/virt.cfg" 2>&1)" "$("$PXL" cr -n "$EX/virt.cfg" 2>&1)"
out=$("$PXL" frobnicate 2>&1)
is "an unknown command: exit 1 (xl's 'command not implemented') and one line" "1 pxl: 'frobnicate' is not a command (pxl help lists them)" "$? $out"
out=$("$PXL" create --bogus "$EX/virt.cfg" 2>&1)
is "an unknown option: exit 2" "2" "$?"
out=$("$PXL" create 2>&1)
is "a missing argument: exit 2 and the synopsis" "2 pxl create: expected CONFIG [KEY=VALUE...] (pxl help create)" "$? $out"
"$PXL" completion >"$T/completion.bash"
if bash -n "$T/completion.bash" && grep -q -- '--dryrun' "$T/completion.bash"; then
	ok "bash completion is generated from the tables and is valid bash"
else
	fail "bash completion is generated from the tables and is valid bash"
fi
words=$(bash -c ". '$T/completion.bash'; COMP_WORDS=(pxl create --d); COMP_CWORD=2; _pxl; echo \${COMPREPLY[*]}")
is "completion offers a command's long options" "--dryrun" "$words"

mkdir "$T/plugins"
cp "$B"/tests/integration/plugins/.libs/wrong-abi.so "$B"/tests/integration/plugins/.libs/no-descriptor.so \
	"$B"/tests/integration/plugins/.libs/dup.so "$T/plugins/"
out=$(PXL_PLUGIN_PATH=$T/plugins:$B/xl-plugins/.libs "$PXL" help 2>"$T/err")
is "a plugin of another ABI is named and skipped" \
	"pxl: plugin $T/plugins/wrong-abi.so: ABI version 42, pxl speaks 1; skipped" "$(grep wrong-abi "$T/err")"
is "a module without a descriptor is named and skipped" \
	"pxl: plugin $T/plugins/no-descriptor.so: no pxl_plugin descriptor; skipped" "$(grep no-descriptor "$T/err")"
if printf '%s\n' "$out" | grep -q '^  create ' && printf '%s\n' "$out" | grep -q '^  dump '; then
	ok "the other plugins still work"
else
	fail "the other plugins still work" "$out"
fi
out=$(PXL_PLUGIN_PATH=$T/plugins:$B/xl-plugins/.libs "$PXL" du 2>&1 | grep -v skipped)
is "an ambiguous prefix: the candidates, exit 2" "pxl: 'du' is ambiguous: dump dump-core dumpdtb" "$out"
is "an exact name wins over a longer one it prefixes" "test plugin: 1 argument(s)" \
	"$(PXL_PLUGIN_PATH=$T/plugins:$B/xl-plugins/.libs "$PXL" dump x 2>/dev/null)"

"$PXL" create -n "$EX/virt.cfg" >"$T/virt.json"
is "create -n: the resolved configuration as JSON" "arm-guest virt 536870912 1073741824 2 preserve 3" \
	"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["name"], c["board"], c["memory"], c["maxmem"], c["vcpus"], c["on_crash"], c["board_opts"]["gic_version"])' "$T/virt.json")"
"$PXL" create -n "$EX/pc.cfg" memory=2g vcpus=2 >"$T/pc.json" 2>"$T/pc.err"
is "create -n: overrides win" "2147483648 2" \
	"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["memory"], c["vcpus"])' "$T/pc.json")"
is "create -n: no warning for the pc example (its vif is read, as xl reads it)" "" "$(cat "$T/pc.err")"
is "create -n: its vif in libxl's names (xl -N's): devid 0 on xenbr0" "[{'devid': 0, 'bridge': 'xenbr0'}] []" \
	"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["nics"], c["disks"])' "$T/pc.json")"
printf 'name = "w"\nvfb = [ "vnc=1" ]\n' >"$T/warn.cfg"
"$PXL" create -n "$T/warn.cfg" >/dev/null 2>"$T/warn.err"
is "an xl key physmap lacks is a warning naming file:line" \
	"pxl create: warning: $T/warn.cfg:2: vfb: a graphical console's: physmap has no framebuffer, VGA or remote display; ignored" \
	"$(cat "$T/warn.err")"
printf 'name = "t"\nmemroy = 512\n' >"$T/typo.cfg"
out=$("$PXL" create -n "$T/typo.cfg" 2>&1)
is "a misspelt key: exit 1, one line with file:line and a suggestion" \
	"1 pxl create: $T/typo.cfg:2: memroy: unknown key (did you mean 'memory'?)" "$? $out"
out=$("$PXL" create -n "$EX/virt.cfg" memory=4g 2>&1)
is "memory above maxmem: exit 1, one line" \
	"1 pxl create: $EX/virt.cfg:5: maxmem: 1024 MiB is less than memory (4096 MiB)" "$? $out"
out=$("$PXL" create "$EX/virt.cfg" 2>&1)
is "create without -n says plainly that the simulator is not there yet" "1" "$?"

# golden files: the JSON exactly as pxl prints it (paths relative to the source tree)
pxl_abs=$(cd "$B" && pwd)/pxl
plugins_abs=$(cd "$B" && pwd)/xl-plugins/.libs
out=$(cd "$S" && PXL_PLUGIN_PATH=$plugins_abs "$pxl_abs" create -n docs/examples/virt.cfg | diff - tests/golden/create-n-virt.json)
is "create -n of the virt example matches its golden file" "" "$out"
out=$(cd "$S" && PXL_PLUGIN_PATH=$plugins_abs "$pxl_abs" create -n docs/examples/pc.cfg memory=2g 2>/dev/null |
	diff - tests/golden/create-n-pc.json)
is "create -n of the pc example with an override matches its golden file" "" "$out"

"$PXL" board "$EX/pc.cfg" >"$T/board.txt" 2>/dev/null
is "board: the layout table starts with low RAM" \
	"0x0000000000000000-0x000000000009ffff 640K ram ram-low" "$(head -1 "$T/board.txt" | tr -s ' ')"
is "board --json is JSON naming the board" "pc" \
	"$("$PXL" board --json "$EX/pc.cfg" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["board"])')"
is "e820: a 5G PC guest's map ends with RAM above 4G and the reserved top" \
	"BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable" \
	"$("$PXL" e820 "$EX/pc.cfg" memory=5120 2>/dev/null | grep 0x0000000100000000)"
out=$("$PXL" e820 "$EX/virt.cfg" 2>&1)
is "e820 of a virt guest: exit 1, one line pointing at dumpdtb" \
	"1 pxl e820: $EX/virt.cfg: board 'virt' gives its guest no E820: memory is in its device tree (pxl dumpdtb)" "$? $out"
"$PXL" dumpdtb "$EX/virt.cfg" "$T/virt.dtb"
is "dumpdtb writes a device tree dtc reads, with the configured RAM" "reg = <0x00 0x40000000 0x00 0x20000000>;" \
	"$(dtc -q -I dtb -O dts "$T/virt.dtb" | sed -n '/memory@40000000/,/};/s/^\t*\(reg = .*\)/\1/p')"
is "dumpdtb - prints DTS with the command line in /chosen" 'bootargs = "console=hvc0 earlycon=xen";' \
	"$("$PXL" dumpdtb "$EX/virt.cfg" - extra='console=hvc0 earlycon=xen' | sed -n 's/^\t*\(bootargs = .*\)/\1/p')"
printf 'control_d\n' >"$T/caps"
out=$(PHYSMAP_XEN_CAPABILITIES=$T/caps env -u PHYSMAP_CONNECT "$PXL" list 2>&1)
is "in a Xen dom0 (/proc/xen/capabilities says control_d) the default backend is xen" \
	"1 pxl list: cannot reach Xen: No such file or directory (is this a Xen dom0, with privcmd?)" "$? $out"

# the plugins' index: one plugin loaded for a command, every one where it does not serve
is "the build's index is what pxl plugin-index says of the plugin directory" \
	"$("$PXL" plugin-index "$B/xl-plugins/.libs" | sort)" "$(sort "$B/xl-plugins/.libs/pxl-commands")"
loaded() { local d=$1; shift; LD_DEBUG=files PXL_PLUGIN_PATH=$d "$PXL" "$@" 2>&1 >/dev/null | grep -c "file=$d/[^ ]*\.so .*dynamically loaded by"; }
n=$(ls "$B"/xl-plugins/.libs/*.so | wc -l)
is "pxl e820 loads its one plugin (board.so), pxl help all $n" \
	"1 $n" "$(loaded "$B/xl-plugins/.libs" e820 "$EX/pc.cfg") $(loaded "$B/xl-plugins/.libs" help)"
mkdir "$T/pdir"
cp "$B"/xl-plugins/.libs/*.so "$T/pdir/"
printf 'e820 create.so\n' >"$T/pdir/pxl-commands"
is "an index naming the wrong plugin: pxl finds the command among all of them" "0 $n" \
	"$(PXL_PLUGIN_PATH=$T/pdir "$PXL" e820 "$EX/pc.cfg" >/dev/null 2>&1; echo $?) $(loaded "$T/pdir" e820 "$EX/pc.cfg")"
rm "$T/pdir/pxl-commands"
is "a plugin directory without an index: its plugins are loaded, the command runs" "0 $n" \
	"$(PXL_PLUGIN_PATH=$T/pdir "$PXL" e820 "$EX/pc.cfg" >/dev/null 2>&1; echo $?) $(loaded "$T/pdir" e820 "$EX/pc.cfg")"

#!/bin/bash
# xl-outputs.sh - pxl list and pxl info print what xl 4.17 prints, on the
# simulator: list's header and columns byte for byte (xl_info.c's
# formats), its six state flags from the domain's real state, Time(s) from
# its vCPUs' real CPU time, -v's UUID (uuid= honoured), list DOMAIN; info's
# keys in xl's order and xl's KEY filter. (The xen box compares both with
# xl's own output: tests/xenbox/check-xen.sh.)
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$G" ] || bail "$G not built: configure found no 32-bit x86 compiler (gcc -m32)"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
row() { "$PXL" list 2>/dev/null | awk -v n="$1" '$1 == n'; }
flags() { row "$1" | awk '{ print $5 }'; }
tab=$(printf '\t')

plan 43

boot_pc sp "spin" uuid=0123abcd-4567-89ab-CDEF-0123456789ab
boot_pc bl "control"
boot_pc pa "control" -p
boot_pc rb "reboot" on_reboot=preserve
boot_pc cr "crash" on_crash=preserve
wait_log sp '^spinning'; wait_log bl '^waiting for the toolstack'
wait_state rb shutdown; wait_state cr crashed
out=$("$PXL" list 2>/dev/null)
is "the header is xl's, tabs and all" "Name                                        ID   Mem VCPUs${tab}State${tab}Time(s)" \
	"$(printf '%s\n' "$out" | head -1)"
is "every row is xl's format: %-40s %5d %5lu %5d, 5 spaces, 6 flags, 2 spaces, %8.1f" "7 6" \
	"$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | grep -c '^.\{40\} [ 0-9]\{5\} [ 0-9]\{5\} [ 0-9]\{5\}     [-rbpscwSd]\{6\}  [ 0-9]\{6\}\.[0-9]$')"
is "a row, byte for byte: name, id, MiB, vCPUs" "$(printf '%-40s %5d %5d %5d' sp "$(field sp domid)" 31 1)" \
	"$(row sp | cut -c1-58)"
is "state flags: running, blocked in SCHEDOP_block, paused, shut down for reboot, crashed" \
	"r----- -b---- --p--- ---sr- ---sc-" "$(flags sp) $(flags bl) $(flags pa) $(flags rb) $(flags cr)"
t1=$(row sp | awk '{ print $6 }'); sleep 1.5; t2=$(row sp | awk '{ print $6 }')
is "Time(s) is the vCPUs' CPU time: a spinning guest's grows, a blocked one's hardly" "yes yes" \
	"$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (b - a >= 0.5 ? "yes" : "no") }') $(awk -v t="$(row bl | awk '{ print $6 }')" 'BEGIN { print (t < 1 ? "yes" : "no") }')"
v=$("$PXL" list -v 2>/dev/null)
is "-v: xl's header; the UUID from uuid= (lower case), reason '-' while running" \
	"Name                                        ID   Mem VCPUs${tab}State${tab}Time(s)   UUID                            Reason-Code${tab}Security Label|0123abcd-4567-89ab-cdef-0123456789ab        -                -" \
	"$(printf '%s\n' "$v" | head -1)|$(printf '%s\n' "$v" | awk '$1 == "sp"' | cut -c81-)"
is "-v: a domain without uuid= has a random version-4 one; dom0's is zeros; a stopped one shows its reason in hex" \
	"1 00000000-0000-0000-0000-000000000000 1 3" \
	"$(printf '%s\n' "$v" | awk '$1 == "bl" { print $7 }' | grep -c '^[0-9a-f]\{8\}-[0-9a-f]\{4\}-4[0-9a-f]\{3\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}$') $(printf '%s\n' "$v" | awk '$1 == "Domain-0" { print $7 }') $(printf '%s\n' "$v" | awk '$1 == "rb" { print $8 }') $(printf '%s\n' "$v" | awk '$1 == "cr" { print $8 }')"
is "the UUID is the store's /vm/DOMID/uuid, and the kept configuration's" "0123abcd-4567-89ab-cdef-0123456789ab 1" \
	"$(store xenstore-read "/vm/$(field sp domid)/uuid") $(store xenstore-read "/vm/$(field sp domid)/config" | grep -c '"uuid": "0123abcd')"
is "-c and -n add xl's Cpupool and NODE Affinity columns" \
	"Name                                        ID   Mem VCPUs${tab}State${tab}Time(s)         Cpupool NODE Affinity|          Pool-0 all" \
	"$("$PXL" list -c -n 2>/dev/null | head -1)|$("$PXL" list -c -n 2>/dev/null | awk '$1 == "sp"' | cut -c80-)"
is "list DOMAIN: the header and its row" "2 sp" "$("$PXL" list sp | wc -l) $("$PXL" list "$(field sp domid)" | awk 'NR == 2 { print $1 }')"
ll=$("$PXL" list -l sp)
is "list -l: libxl's JSON (xl list -l's): [{domid, config: {c_info, b_info, on_*}}], libxl's names and values" \
	"$(field sp domid) pvh sp 0123abcd-4567-89ab-cdef-0123456789ab 32768 spin restart soft_reset" \
	"$(printf '%s\n' "$ll" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; c=d["config"]; print(d["domid"], c["c_info"]["type"], c["c_info"]["name"], c["c_info"]["uuid"], c["b_info"]["max_memkb"], c["b_info"]["cmdline"], c["on_reboot"], c["on_soft_reset"])')"
is "list -l indents as libxl's generator does (4 spaces a level); -j is physmap's own JSON" "yes running" \
	"$(printf '%s\n' "$ll" | sed -n 3p | grep -q '^        "domid": ' && echo yes) $(field sp state)"
out=$("$PXL" list nosuch 2>&1 >/dev/null)
is "list of an unknown domain: exit 1, one line" "1 1" "$? $(printf '%s\n' "$out" | grep -c .)"
out=$("$PXL" create -n "$EX/pc.cfg" uuid=not-a-uuid 2>&1 >/dev/null)
is "uuid= that is not one: exit 1, one line naming it" "1 command line:1: uuid: \"not-a-uuid\": not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex)" \
	"$? $(printf '%s\n' "$out" | sed 's/^pxl create: //')"

# vCPUs: xl's vcpu-list, pinning a vCPU's thread for real, vcpu-set through the store
boot_pc v2 "spin" vcpus=2
wait_log v2 '^spinning'
vl=$("$PXL" vcpu-list 2>/dev/null)
is "vcpu-list: xl's header; a running vCPU, one not started (offline: '-' and p), a blocked one" \
	"Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)|r-- all / all|- --p all / all|-b- all / all" \
	"$(printf '%s\n' "$vl" | head -1)|$(printf '%s\n' "$vl" | awk '$1 == "v2" && $3 == 0 { print $5, $7, $8, $9 }')|$(printf '%s\n' "$vl" | awk '$1 == "v2" && $3 == 1 { print $4, $5, $7, $8, $9 }')|$(printf '%s\n' "$vl" | awk '$1 == "bl" { print $5, $7, $8, $9 }')"
sim=$(pgrep -f "physmap-sim --rundir $T" | head -1)
last=$(($(nproc) - 1))
"$PXL" vcpu-pin v2 0 "$last" 0
sleep 1
is "vcpu-pin: the vCPU's thread runs on that host CPU only, and vcpu-list says so (soft affinity kept)" \
	"$last $last / 0 1" \
	"$("$PXL" vcpu-list v2 | awk '$3 == 0 { print $4, $7, $8, $9 }') $(grep -l "^Cpus_allowed_list:[[:space:]]*$last\$" /proc/"$sim"/task/*/status 2>/dev/null | wc -l)"
"$PXL" vcpu-pin v2 all all -
is "vcpu-pin all all: every vCPU back on every CPU" "all all" "$("$PXL" vcpu-list v2 | awk 'NR > 1 { print $7 }' | tr '\n' ' ' | sed 's/ $//')"
out=$( { "$PXL" vcpu-pin v2 7 0; "$PXL" vcpu-pin v2 0 999; "$PXL" vcpu-pin v2 0 x; "$PXL" vcpu-pin nosuch 0 0; } 2>&1 >/dev/null)
is "vcpu-pin of no such vCPU, no host CPU, no CPU set, no domain: one line each, nothing changed" "4 all" \
	"$(printf '%s\n' "$out" | grep -c .) $("$PXL" vcpu-list v2 | awk '$3 == 0 { print $7 }')"
"$PXL" vcpu-set v2 1
is "vcpu-set: cpu/N/availability as libxl writes it" "online offline" \
	"$(store xenstore-read "/local/domain/$(field v2 domid)/cpu/0/availability") $(store xenstore-read "/local/domain/$(field v2 domid)/cpu/1/availability")"
out=$("$PXL" vcpu-set v2 3 -i 2>&1)
is "vcpu-set beyond its vCPUs: exit 1, one line" "1 1" "$? $(printf '%s\n' "$out" | grep -c 'it has 2')"

# maxvcpus > vcpus: the rest offline until vcpu-set brings them (the test
# guest follows cpu/N/availability as Linux's cpu_hotplug.c does)
boot_pc hp "control" vcpus=1 maxvcpus=3 && wait_log hp '^waiting for the toolstack'
hid=$(field hp domid)
is "maxvcpus=3 vcpus=1: three vCPUs, two offline (--p); cpu/N/availability online offline offline; list counts 1" \
	"-b- --p --p|online offline offline|1" \
	"$("$PXL" vcpu-list hp | awk 'NR > 1 { print $5 }' | tr '\n' ' ' | sed 's/ $//')|$(for i in 0 1 2; do store xenstore-read "/local/domain/$hid/cpu/$i/availability"; done | tr '\n' ' ' | sed 's/ $//')|$("$PXL" list hp | awk 'NR == 2 { print $4 }')"
"$PXL" vcpu-set -i hp 3
wait_log hp '^cpu 2: online'
is "vcpu-set -i hp 3: the guest brings vCPUs 1 and 2 online; vcpu-list shows three online, list counts 3" \
	"cpu 1: online|cpu 2: online|-b- -b- -b-|3" \
	"$(log hp | grep '^cpu ' | tr '\n' '|')$("$PXL" vcpu-list hp | awk 'NR > 1 { print $5 }' | tr '\n' ' ' | sed 's/ $//')|$("$PXL" list hp | awk 'NR == 2 { print $4 }')"
"$PXL" vcpu-set hp 2
wait_log hp '^cpu 2: offline'
sleep 0.2
is "vcpu-set hp 2: vCPU 2 goes offline again (VCPUOP_down), vCPU 1 stays" "cpu 2: offline|-b- -b- --p" \
	"$(log hp | grep '^cpu ' | tail -1)|$("$PXL" vcpu-list hp | awk 'NR > 1 { print $5 }' | tr '\n' ' ' | sed 's/ $//')"
out=$("$PXL" vcpu-set -i hp 4 2>&1)
is "vcpu-set past maxvcpus: exit 1, one line naming maxvcpus; nothing changed" "1 1 online offline" \
	"$? $(printf '%s\n' "$out" | grep -c 'it has 3 (maxvcpus)') $(store xenstore-read "/local/domain/$hid/cpu/1/availability") $(store xenstore-read "/local/domain/$hid/cpu/2/availability")"
"$PXL" destroy hp
out=$("$PXL" create "$EX/virt.cfg" name=va kernel="$G" memory=32 vcpus=1 maxvcpus=2 -n 2>&1)
is "the virt board has no CPU hotplug (as QEMU's virt): maxvcpus is warned about, naming where, and ignored" "0 1" \
	"$? $(printf '%s\n' "$out" | grep -c "warning: command line:[0-9]*: maxvcpus: board 'virt' cannot hot-plug vCPUs: the domain has vcpus (1); ignored")"

out=$("$PXL" claims 2>"$T/claims.err")
is "claims: xl's table with a Claimed column of 0 (physmap claims nothing), xl's note on stderr" \
	"Name                                        ID   Mem VCPUs${tab}State${tab}Time(s)  Claimed|0|claim_mode not enabled (see man xl.conf)." \
	"$(printf '%s\n' "$out" | head -1)|$(printf '%s\n' "$out" | awk 'NR > 1 { print $7 }' | sort -u | tr '\n' ' ' | sed 's/ $//')|$(cat "$T/claims.err")"

t=$("$PXL" top -b -i 2 -d 0.5)
is "top -b: xentop's columns; over an interval a spinning guest uses a CPU, a blocked one next to none" \
	"2 yes yes" \
	"$(printf '%s\n' "$t" | grep -c '^      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS$') $(printf '%s\n' "$t" | awk '$1 == "sp" { c = $4 } END { print (c > 15 ? "yes" : "no") }') $(printf '%s\n' "$t" | awk '$1 == "bl" { c = $4 } END { print (c < 5 ? "yes" : "no") }')"

# the hypervisor's: its console ring, its CPU pools; what the simulator does not have says so
is "dmesg: the simulator's log, as Xen's console ring; -c empties it" "yes 0" \
	"$("$PXL" dmesg | grep -q 'physmap-sim: up' && echo yes) $("$PXL" dmesg -c >/dev/null; "$PXL" dmesg | wc -l)"
is "cpupool-list: xl's table: one pool, every host CPU, every domain; -c its CPU list" \
	"$(printf '%-19s%s' Name 'CPUs   Sched     Active   Domain count')|$(printf '%-19s%3u %9s       y       %4u' Pool-0 "$(nproc)" unknown "$("$PXL" list 2>/dev/null | awk 'NR > 1' | wc -l)")|$(printf '%-19s%s' Pool-0 "$(seq -s, 0 $(($(nproc) - 1)))")" \
	"$("$PXL" cpupool-list | tr '\n' '|' | sed 's/|$//')|$("$PXL" cpupool-list -c | tail -1)"
out=$( { "$PXL" debug-keys h; "$PXL" trigger v2 nmi; "$PXL" sched-credit2 -d v2; "$PXL" cpupool-list nosuch; "$PXL" trigger v2 boom; } 2>&1 >/dev/null)
is "debug-keys, trigger, sched-credit2 (none on the simulator), an unknown pool or trigger: one line each" "5 3" \
	"$(printf '%s\n' "$out" | grep -c .) $(printf '%s\n' "$out" | grep -c 'the sim backend has no')"

# PCI passthrough: physmap passes none through; a pci backend in the store lists as xl lists it
id=$(field sp domid)
out=$("$PXL" pci-list sp; echo "rc $?")
be=/local/domain/0/backend/pci/$id/0
store xenstore-write $be/num_devs 1 $be/dev-0 0000:00:1f.2 $be/vdevfn-0 0x28
is "pci-list: nothing for a guest without PCI devices, xl's table for one the store gives some" \
	"rc 0|Vdev Device|05.0 0000:00:1f.2" "$out|$("$PXL" pci-list sp | tr '\n' '|' | sed 's/|$//')"
store xenstore-rm "/local/domain/0/backend/pci/$id"
out=$("$PXL" pci-assignable-list 2>&1; echo "rc $?")
is "pci-assignable-list: pciback's devices, one a line (none bound here: nothing), exit 0" \
	"$(ls /sys/bus/pci/drivers/pciback 2>/dev/null | grep -c ':')|rc 0" \
	"$(printf '%s\n' "$out" | grep -c ':')|$(printf '%s\n' "$out" | tail -1)"
out=$( { "$PXL" sched-credit; "$PXL" sched-credit -d sp; } 2>&1 >/dev/null)
is "sched-credit on the simulator: no credit scheduler, said once each time, exit 1" "2" "$(printf '%s\n' "$out" | grep -c 'no credit scheduler running')"

is "sharing: xl's table, nothing shared on the simulator" \
	"Name                                        ID   Mem Shared|$(printf '%-40s %5u %5u  %5u' sp "$(field sp domid)" 31 0)" \
	"$("$PXL" sharing sp | tr '\n' '|' | sed 's/|$//')"
out=$("$PXL" getenforce; echo "rc $?")
is "getenforce: the simulator has no FLASK, said as xl says it of a Xen without (and xl's -1: 255)" "Flask XSM Disabled|rc 255" \
	"$(printf '%s\n' "$out" | tr '\n' '|' | sed 's/|$//')"

# info: xl's keys, in xl's order (xl 4.17's xl_info.c)
keys="host release version machine nr_cpus max_cpu_id nr_nodes cores_per_socket threads_per_core cpu_mhz hw_caps virt_caps total_memory free_memory sharing_freed_memory sharing_used_memory outstanding_claims free_cpus xen_major xen_minor xen_extra xen_version xen_caps xen_scheduler xen_pagesize platform_params xen_changeset xen_commandline cc_compiler cc_compile_by cc_compile_domain cc_compile_date build_id xend_config_format"
info=$("$PXL" info)
is "info: xl's 34 keys in xl's order, each padded to 23 columns" "$keys|34" \
	"$(printf '%s\n' "$info" | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')|$(printf '%s\n' "$info" | grep -c '^[a-z_]\{1,22\} *:\( \|$\)')"
is "info: the host's CPUs and uname, the ABI the simulator offers" \
	"$(nproc) $(uname -n) $(uname -r) 4.17 hvm" \
	"$(printf '%s\n' "$info" | sed -n 's/^nr_cpus *: //p') $(printf '%s\n' "$info" | sed -n 's/^host *: //p') $(printf '%s\n' "$info" | sed -n 's/^release *: //p') $(printf '%s\n' "$info" | sed -n 's/^xen_version *: //p') $(printf '%s\n' "$info" | sed -n 's/^virt_caps *: //p')"
is "info KEY: only the values of the keys it begins, as xl" "$(free_mib)|4 17 4.17 4" \
	"$("$PXL" info free_memory)|$("$PXL" info xen_m | tr '\n' ' ')$("$PXL" info xen_version) $("$PXL" info xend)"
is "info -b: physmap's backend and run directory after xl's keys" "physmap_backend        : sim|physmap_rundir         : $PHYSMAP_RUNDIR" \
	"$("$PXL" info -b | tail -2 | tr '\n' '|' | sed 's/|$//')"
is "the total is the simulator's frame pool" "4096" "$(printf '%s\n' "$info" | sed -n 's/^total_memory *: //p')"
out=$("$PXL" trigger v2 s3resume 2>&1)
is "trigger s3resume: one line (libxl wakes only an HVM guest from S3), exit 0 as xl's trigger" \
	"0|pxl trigger: v2: s3resume: only an HVM guest (its device model) resumes from S3" "$?|$out"
out=$("$PXL" set-parameters "loglvl=all" 2>&1)
is "set-parameters on the simulator: exit 1, one line: it has no runtime parameters" \
	"1|pxl set-parameters: the sim backend has no runtime parameters (it has no command line)" "$?|$out"
n=$("$PXL" info -n free 2>&1)
is "info -n: xl's topology sections after free_cpus (KEY ignored, as xl): a line per host CPU, no PCI device, one node: the pool" \
	"cpu_topology           :|cpu:    core    socket     node|$(nproc)|device topology        :|device           node|No device topology data available|numa_info              :|node:    memsize    memfree    distances|   0:      4096 yes      10|xen_major" \
	"$(printf '%s\n' "$n" | sed -n '/^free_cpus/,/^xen_major/p' | sed '1d' | awk '
		/^ *[0-9]+: +[0-9]+ +[0-9]+ +[0-9]+$/ && !numa { cpus++; next }
		/^numa_info/ { numa = 1 }
		numa && /^   0:/ { printf "%s:      %s %s      %s|", $1 == "0:" ? "   0" : $1, $2, ($3 <= $2 ? "yes" : "no"), $4; next }
		/^device topology/ { printf "%d|", cpus }
		/^xen_major/ { print "xen_major"; next }
		{ print }' | tr '\n' '|' | sed 's/|$//')"

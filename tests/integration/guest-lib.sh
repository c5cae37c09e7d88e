# tests/integration/guest-lib.sh - what the suites that boot test guests
# share (sourced after tests/tap.sh, with G set to the guest image): a
# private simulator run directory, and helpers that read a domain's state
# and console log and wait for them.
B=${top_builddir:-.}
S=${top_srcdir:-.}
PXL=$B/pxl
EX=$S/docs/examples
[ -x "$PXL" ] && [ -x "$B/physmap-sim" ] || bail "pxl or physmap-sim not built"
export PXL_PLUGIN_PATH=$B/xl-plugins/.libs PHYSMAP_SIM=$B/physmap-sim PHYSMAP_DM=$B/physmap-dm PHYSMAP_CONNECT=sim
T=$(mktemp -d)
export PHYSMAP_RUNDIR=$T/run
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; rm -rf "$T"' EXIT
. "$S/tests/integration/kvm-probe.sh"

free_mib() { "$PXL" info | sed -n 's/^free_memory *: //p'; }
names() { "$PXL" list | awk 'NR > 1 && !/ crashed: / { print $1 }' | tr '\n' ' ' | sed 's/ $//'; }
# a domain's console log, whole lines only: a line still being written is not read half
# (a wait for its start would match, and what follows it would be missing)
log() {
	local f="$PHYSMAP_RUNDIR/console/$1.log"
	[ -f "$f" ] || return 0
	if [ -n "$(tail -c 1 "$f")" ]; then head -n -1 "$f"; else cat "$f"; fi
}
store() { XENSTORED_PATH=$PHYSMAP_RUNDIR/xenstored.sock "$@"; }
# the resident MiB of a simulator's frame pool (its memfd's mappings): the
# guests' frames alone, not the allocator's or Unicorn's own memory (under
# ASan the process's RSS moves by tens of MiB with what its quarantine holds)
pool_rss_mib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { pool = /memfd:physmap-pool/ } pool && $1 == "Rss:" { kb += $2 }
	     END { print int(kb / 1024) }' /proc/"$1"/smaps
}
# a field of a domain in pxl list -j (physmap's JSON)
field() { "$PXL" list -j | sed -n "/\"name\": *\"$1\"/s/.*\"$2\": *\\(\"[^\"]*\"\\|[0-9]*\\).*/\\1/p" | tr -d '"'; }
# waits up to 30 s for a domain's state ("gone" when it has none)
wait_state() {
	local i s
	for i in $(seq 300); do
		s=$(field "$1" state)
		[ "${s:-gone}" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# waits up to 30 s for a line matching $3 in what "$1 $2" prints
wait_for() {
	local i
	for i in $(seq 300); do
		"$1" "$2" | grep -q -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
# waits up to 30 s for a line in a domain's console log
wait_log() { wait_for log "$1" "$2"; }
# a small pc guest of the x86 test image ($G): NAME, its command-line words, KEY=VALUEs
boot_pc() {
	local name=$1 words=$2
	shift 2
	"$PXL" create "$EX/pc.cfg" name="$name" kernel="$G" "cmdline=\"$words\"" memory=32 'vif=[]' "$@" >/dev/null 2>&1
}
# waits up to 30 s for a domain's console log to hold $2 workload rounds
wait_rounds() {
	local i
	for i in $(seq 300); do
		[ "$(log "$1" | grep -c '^workload: [0-9]* rounds over .* ok$')" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# a backend maps the guest's grants (pm_hv_grant_map, the way physmap-dm's
# disk and network backends map a frontend's pages): the guest (word
# "grant", through the suite's boot) grants dom0 page A writable (ref 8)
# and page B read-only (ref 9); 3 tests
grant_cases() {
	local out GP
	boot gr "grant" on_poweroff=preserve
	wait_log gr "^grant: ready"
	GP=${top_builddir:-.}/tests/integration/hv-probe
	is "grant maps: a read-only grant refused writable (EPERM) and read read-only; refs not granted refused" \
		"grant=9: Operation not permitted|read: page B, read-only|ok|grant=500: Invalid argument|grant=5000: Invalid argument" \
		"$("$GP" gr grant=9)|$("$GP" gr grantro=9 | tr '\n' '|')$("$GP" gr grant=500)|$("$GP" gr grant=5000)"
	out=$("$GP" gr grant=8 | tr '\n' '|')
	wait_state gr shutdown
	is "a writable grant: dom0 reads the page and writes it; the guest sees the write, and GTF_reading|GTF_writing in the entry while mapped, cleared after" \
		"read: page A of the guest|ok|grant: page A now: written by dom0|grant: entry 8 flags seen 0x19, now 0x1" \
		"$out$(log gr | tr -d '\r' | grep '^grant: \(page\|entry\)' | tr '\n' '|' | sed 's/|$//')"
	"$PXL" destroy gr
	boot gf "grant=free" on_poweroff=preserve
	wait_log gf "^grant: ready"
	out=$("$GP" gf granthold=8 | tr '\n' '|')
	wait_state gf shutdown
	is "a page the guest gives back while dom0 maps it: the frame stays dom0's (not zeroed, not reused) until the unmap" \
		"read: page A of the guest|still: written by dom0|ok|gnttab: page A given back: 1|gnttab: entry 8 flags after the unmap: 1" \
		"$out$(log gf | tr -d '\r' | grep '^gnttab: \(page A\|entry 8\)' | tr '\n' '|' | sed 's/|$//')"
	"$PXL" destroy gf
}

# the guests of the PV device suites (disk-sim, net-sim): G the x86 test
# guest (64-bit on KVM: PM_ENGINE=kvm), A the arm64 one; the store's
# clients find the simulator's store
pv_guests() {
	if [ "${PM_ENGINE:-}" = kvm ]; then
		G=$B/tests/guests/x86/guest64.elf
	else
		G=$B/tests/guests/x86/guest.elf
	fi
	A=$B/tests/guests/arm64/guest.img
	[ -f "$G" ] && [ -f "$A" ] || bail "the test guests are not built"
	export XENSTORED_PATH=$PHYSMAP_RUNDIR/xenstored.sock
}

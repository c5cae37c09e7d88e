#!/bin/bash
# gntmap-sim.sh - a guest as a backend (a driver domain) on the simulator:
# the test guests' word "share" grants two pages to the domain named in
# its data/peer (page A writable as entry 8, page B read-only as entry 9),
# and "gntmap=DOM" maps them with GNTTABOP_map_grant_ref over pages it gave
# back, copies with GNTTABOP_copy, and holds the maps until its data/unmap
# appears. Shown on both boards: the backend reads and writes the other
# domain's pages, `pxl p2m` shows them foreign in its P2M while mapped and
# missing after, the granter's entry carries GTF_reading|GTF_writing
# while mapped and neither after, and Xen's status for each bad argument.
# A write to a read-only map crashes the writer and leaves the page as it
# was; a backend destroyed while it maps releases the grants; every frame
# comes back to the pool.
. "${top_srcdir:-.}/tests/tap.sh"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
pv_guests

plan 12

# a test guest on board $1 (pc: the x86 image; virt: the arm64 one) named $2 with words $3, then create's options
boot() {
	local board=$1 name=$2 words=$3
	shift 3
	if [ "$board" = pc ]; then
		"$PXL" create "$@" "$EX/pc.cfg" name="$name" kernel="$G" "cmdline=\"$words\"" memory=32 'vif=[]' >/dev/null 2>&1
	else
		"$PXL" create "$@" "$EX/virt.cfg" name="$name" kernel="$A" "extra=\"$words\"" memory=64 vcpus=1 >/dev/null 2>&1
	fi
}
# on board $1: granter gr$2 and backend be$2 (words "control gntmap=DOM$3"), the backend started once the grants are there
pair() {
	local d
	boot "$1" "gr$2" share
	d=$("$PXL" domid "gr$2")
	[[ $d =~ ^[0-9]+$ ]] || echo "# gr$2: pxl domid said '$d'"
	boot "$1" "be$2" "control gntmap=$d$3" -p
	store xenstore-write "/local/domain/$d/data/peer" "$("$PXL" domid "be$2")"
	wait_long "gr$2" '^grant: ready 8 9'
	"$PXL" unpause "be$2"
}
# a guest's lines with prefix $2, prefix removed, joined by |
said() { log "$1" | tr -d '\r' | sed -n "s/^$2: //p" | tr '\n' '|' | sed 's/|$//'; }
# up to 120 s for a guest's line (two guests spinning on each other's pages under sanitizers on a busy
# host), its console said in the log if it never comes
wait_long() {
	local i
	for i in $(seq 1200); do log "$1" | grep -q -- "$2" && return 0; sleep 0.1; done
	echo "# $1 never said '$2'; its console:"
	log "$1" | tail -n 8 | sed 's/^/#   /'
	return 1
}
# the pfns a domain's P2M shows foreign, sorted, in hex
foreign_pfns() {
	"$PXL" p2m "$1" | awk '$1 == "foreign" { print $2 }' | while IFS=- read -r a b; do
		for ((p = a; p < b; p++)); do printf '0x%x\n' "$p"; done
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
# the pfns the backend says it maps A and B at, sorted
mapped_pfns() {
	log "$1" | tr -d '\r' | sed -n 's/^gntmap: A at pfn \(0x[0-9a-f]*\), B at pfn \(0x[0-9a-f]*\)$/\1\n\2/p' |
		while read -r p; do printf '0x%x\n' "$((p))"; done | sort | tr '\n' ' ' | sed 's/ $//'
}
# the statuses of the first eight bad arguments the backend tried
statuses() { log "$1" | tr -d '\r' | sed -n 's/^gntmap: bad: .*: \(-\{0,1\}[0-9]*\)$/\1/p' | head -8 | tr '\n' '|' | sed 's/|$//'; }
# the pfn B is mapped at
b_pfn() { printf '0x%x' "$(log "$1" | tr -d '\r' | sed -n 's/^gntmap: A at pfn 0x[0-9a-f]*, B at pfn \(0x[0-9a-f]*\)$/\1/p')"; }
first_maps="pages given back: 2|A at pfn|map A: 0|A says: page A of the guest|B writable: -1|map B read-only: 0|B says: page B, read-only"
copies="copy B out: 0|B copied: page B, read-only|copy into A: 0"
granter_end="page A now: written by the backend|page A at 1024: copied by the backend|page B now: page B, read-only|entry 8 flags seen 0x19, now 0x1"
free0=$(free_mib)

# pc: the whole exchange
pair pc 1
wait_long be1 '^gntmap: holding'
is "pc: a guest maps another's grants over pages it gave back: A read, B refused writable (GNTST_general_error), B read-only" \
	"$first_maps" "$(said be1 gntmap | cut -d'|' -f1-7 | sed 's/A at pfn [^|]*/A at pfn/')"
is "pc: GNTTABOP_copy: B copied out to a frame of its own, bytes copied into A at 1024" \
	"$copies" "$(said be1 gntmap | cut -d'|' -f8-10)"
is "pc: Xen's statuses: copy into read-only -1, another's frame -8, past the page -10, ref past the table -3, no domain -2, no map flag -3, device map -1, over a map -1" \
	"-1|-8|-10|-3|-2|-3|-1|-1" "$(statuses be1)"
is "pc: pxl p2m of the backend: its two pfns foreign while it maps them" "$(mapped_pfns be1)" "$(foreign_pfns be1)"
store xenstore-write "/local/domain/$("$PXL" domid be1)/data/unmap" 1
wait_long be1 '^gntmap: done'
is "pc: unmapped: B 0, A at B's address -1, A 0, A again -4 (GNTST_bad_handle); its pfns no longer foreign" \
	"unmap B: 0|bad: unmap A at B's address: -1|unmap A: 0|bad: unmap A again: -4|done|" \
	"$(said be1 gntmap | sed 's/.*|holding|//')|$(foreign_pfns be1)"
wait_long gr1 '^grant: entry 8 flags'
is "pc: the granter sees what the backend wrote and copied; entry 8 was reading|writing while mapped, neither after" \
	"$granter_end" "$(said gr1 grant | cut -d'|' -f2-5)"
"$PXL" destroy be1

# virt: the same between two arm64 guests
pair virt 2
wait_long be2 '^gntmap: holding'
is "virt: maps, copies and statuses as on pc; the two pfns foreign while mapped" \
	"$first_maps|$copies|-1|-8|-10|-3|-2|-3|-1|-1|$(mapped_pfns be2)" \
	"$(said be2 gntmap | cut -d'|' -f1-10 | sed 's/A at pfn [^|]*/A at pfn/')|$(statuses be2)|$(foreign_pfns be2)"
store xenstore-write "/local/domain/$("$PXL" domid be2)/data/unmap" 1
wait_long gr2 '^grant: entry 8 flags'
is "virt: unmapped, nothing foreign left; the granter sees the bytes and its flags cleared" \
	"|$granter_end" "$(foreign_pfns be2)|$(said gr2 grant | cut -d'|' -f2-5)"
"$PXL" destroy be2

# a write to the read-only map: the writer crashes, the page stays; its maps go with it
pair pc 3 ,rowrite
wait_long be3 'crashed: '
is "a write to a read-only grant map crashes the writer, naming the pfn" \
	"crashed: pfn $(b_pfn be3) (a read-only grant map)" \
	"$(log be3 | tr -d '\r' | sed -n 's/.* \(crashed: pfn 0x[0-9a-f]* ([^)]*)\).*/\1/p')"
"$PXL" destroy be3 2>/dev/null   # gone by itself where on_crash destroys
wait_long gr3 '^grant: entry 8 flags'
is "destroyed, its maps go: the granter's page B as it wrote it, its flags cleared" \
	"$granter_end" "$(said gr3 grant | cut -d'|' -f2-5)"

# a backend destroyed while it maps: the grants released
pair virt 4
wait_long be4 '^gntmap: holding'
"$PXL" destroy be4
wait_long gr4 '^grant: entry 8 flags'
is "a backend destroyed while it maps: the granter's flags cleared, the pages as written" \
	"$granter_end" "$(said gr4 grant | cut -d'|' -f2-5)"

for n in 1 2 3 4; do wait_state "gr$n" gone || "$PXL" destroy "gr$n"; done
is "every frame back: free memory as before, no domain left" "$free0|" "$(free_mib)|$(names | sed 's/^Domain-0 *//')"

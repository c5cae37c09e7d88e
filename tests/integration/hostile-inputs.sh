#!/bin/bash
# hostile-inputs.sh - what an operator's slip or an attacker's file gets
# from pxl create on the simulator: every bad configuration, kernel and
# name below is refused with exit status 1 and one line that names where
# the fault is (FILE:LINE, FILE, "command line:N" or the domain), never
# hangs, and leaves nothing behind: no domain, no frame taken, no store
# entry, no device model, no console file (issue 32's "inputs are what
# they claim to be").
. "${top_srcdir:-.}/tests/tap.sh"
G=${top_builddir:-.}/tests/guests/x86/guest.elf
A=${top_builddir:-.}/tests/guests/arm64/guest.img
[ -f "$G" ] || bail "$G not built: configure found no 32-bit x86 compiler (gcc -m32)"
[ -f "$A" ] || bail "$A not built: configure found no aarch64 cross compiler"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"

# the host as it is before each refusal; compared after it
host() {
	echo "$(names) $(free_mib) [$(store xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')]" \
		"dm:$(pgrep -f "physmap-dm.*$T" | wc -l) files:$(ls "$PHYSMAP_RUNDIR/console" 2>/dev/null | wc -l)"
}

# refused DESCRIPTION CONFIG-TEXT [OVERRIDE...]: the text is the file $T/c.cfg
refused() {
	local what=$1 text=$2
	shift 2
	printf '%b' "$text" >"$T/c.cfg"
	probe "$what" "$T/c.cfg" "$@"
}

# probe DESCRIPTION CONFIG [OVERRIDE...]: pxl create CONFIG must refuse at once
probe() {
	local what=$1 cfg=$2 out rc lines first where
	shift 2
	out=$(timeout 20 "$PXL" create "$cfg" "$@" 2>&1 </dev/null)
	rc=$?
	out=$(printf '%s\n' "$out" | grep -v '^pxl create: warning: ')
	lines=$(printf '%s\n' "$out" | wc -l)
	first=$(printf '%s\n' "$out" | head -1)
	case $first in
	"pxl create: $cfg: "* | "pxl create: $cfg:"[0-9]*": "* | "pxl create: command line:"[0-9]*": "* | \
		"pxl create: g: "* | "pxl create: taken: "*) where=yes ;;
	*) where="no: $first" ;;
	esac
	[ -z "$SHOW" ] || echo "# $first"
	is "$what: exit 1, one line naming where, nothing left" "1 1 yes $before" "$rc $lines $where $(host)"
}

plan 89
before=$(host)
[ "$before" = "Domain-0 4096 [] dm:0 files:0" ] || bail "the host is not clean to begin with: $before"

# the file itself
probe "a missing file" "$T/none.cfg"
probe "a directory" "$T"
probe "/dev/zero (it would be read until memory runs out)" /dev/zero
mkfifo "$T/fifo"
probe "a FIFO nobody writes to (it would hang)" "$T/fifo"
head -c $((2 << 20)) /dev/zero | tr '\0' '#' >"$T/big.cfg"
probe "a 2 MiB file (past the 1 MiB bound)" "$T/big.cfg"
printf 'name = "g"\0\n' >"$T/nul.cfg"
probe "a binary file (a NUL byte)" "$T/nul.cfg"
refused "an empty file (no name)" ''
refused "a syntax error" 'name = "g"\nmemory = = 5\n'
refused "an unterminated string" 'name = "g\n'
refused "an unknown key" 'name = "g"\nfrobnicate = 1\n'
refused "a misspelt key" 'name = "g"\nmemroy = 64\n'
refused "an override without =" 'name = "g"\n' memory
refused "an unknown key on the command line" 'name = "g"\n' frobnicate=1

# names
for n in '-p' '..' '.' 'a/b' '42' 'a b' "$(printf 'x%.0s' $(seq 50))" ''; do
	refused "the name \"$n\"" "name = \"$n\"\n"
done
refused "a name that is a list" 'name = [ "a" ]\n'
refused "a bad uuid" 'name = "g"\nuuid = "not-a-uuid"\n'

# sizes and counts
refused "memory that is not a size" 'name = "g"\nmemory = "lots"\n'
refused "memory 0" 'name = "g"\nmemory = 0\n'
refused "memory past the address space (pc)" 'name = "g"\nmemory = "1t"\n'
refused "memory past the address space, on the command line" 'name = "g"\n' memory=2t
refused "maxmem below memory" 'name = "g"\nmemory = 1024\nmaxmem = 512\n'
refused "vcpus 0" 'name = "g"\nvcpus = 0\n'
refused "vcpus 129 (pc: Xen's HVM_MAX_VCPUS)" 'name = "g"\nvcpus = 129\n'
refused "vcpus 4097 (past any board)" 'name = "g"\nboard = "virt"\nvcpus = 4097\n'
refused "vcpus 513 (virt: QEMU's 512)" 'name = "g"\nboard = "virt"\nvcpus = 513\n'
refused "vcpus 318 (virt: GICv4's redistributors hold 317)" 'name = "g"\nboard = "virt"\ngic_version = 4\nvirtualization = 1\nvcpus = 318\n'
refused "vcpus \"two\"" 'name = "g"\nvcpus = "two"\n'
refused "maxvcpus below vcpus" 'name = "g"\nvcpus = 4\nmaxvcpus = 2\n'
refused "more vCPUs than GICv2 has (virt)" 'name = "g"\nboard = "virt"\ngic_version = 2\nvcpus = 9\n'
refused "more memory than the host has free" "name = \"g\"\nmemory = \"5g\"\nkernel = \"$G\"\n"

# kinds and actions
refused "an unknown board" 'name = "g"\nboard = "sparc"\n'
refused "an unknown type" 'name = "g"\ntype = "hvm-pv"\n'
refused "type hvm (no HVM device model)" "name = \"g\"\ntype = \"hvm\"\nkernel = \"$G\"\n"
refused "type pv on the simulator" "name = \"g\"\ntype = \"pv\"\nkernel = \"$G\"\n"
refused "an unknown on_crash action" 'name = "g"\non_crash = "explode"\n'
refused "an unknown on_poweroff action" 'name = "g"\non_poweroff = 3\n'

# board options
refused "a GIC version no board has" 'name = "g"\nboard = "virt"\ngic_version = 9\n'
refused "GICv4 without virtualization (virt)" 'name = "g"\nboard = "virt"\ngic_version = 4\n'
refused "the host's GIC (virt: no KVM for Arm here)" 'name = "g"\nboard = "virt"\ngic_version = "host"\n'
refused "an ITS on virt-6.1 (emulated from 6.2)" 'name = "g"\nboard = "virt"\ncompat = "6.1"\ngic_version = 3\nits = 1\n'
refused "a high ECAM on virt-2.12 (from 3.0)" 'name = "g"\nboard = "virt"\ncompat = "2.12"\nhighmem_ecam = 1\n'
refused "an IOMMU virt does not have" 'name = "g"\nboard = "virt"\niommu = "intel-iommu"\n'
refused "phandles past 0xfffffffe" 'name = "g"\nboard = "virt"\nphandle_start = "0xfffffffe"\n'
refused "EL2 on the simulator (virt)" "name = \"g\"\nboard = \"virt\"\nvirtualization = 1\nkernel = \"$A\"\n"
refused "a virt key on pc" 'name = "g"\nhighmem = 0\n'
refused "a machine version not reproduced (pc)" 'name = "g"\ncompat = "1.0"\n'
refused "a machine version not reproduced (virt)" 'name = "g"\nboard = "virt"\ncompat = "1.0"\n'
refused "an unknown CPU vendor" 'name = "g"\ncpu_vendor = "via"\n'
refused "phys-bits below 32" 'name = "g"\npa_bits = 20\n'
refused "max_ram_below_4g past 4G" 'name = "g"\nmax_ram_below_4g = "5g"\n'
refused "an unknown virt CPU" 'name = "g"\nboard = "virt"\ncpu = "pentium"\n'

# images
: >"$T/empty"
printf 'x' >"$T/one"
refused "no kernel, not paused (it would run nothing)" 'name = "g"\n'
refused "a missing kernel" 'name = "g"\nkernel = "/no/such/vmlinuz"\n'
refused "a directory as kernel" "name = \"g\"\nkernel = \"$T\"\n"
refused "a FIFO as kernel" "name = \"g\"\nkernel = \"$T/fifo\"\n"
refused "/dev/zero as kernel" 'name = "g"\nkernel = "/dev/zero"\n'
refused "an empty kernel" "name = \"g\"\nkernel = \"$T/empty\"\n"
refused "a 1-byte kernel" "name = \"g\"\nkernel = \"$T/one\"\n"
refused "a text file as kernel" "name = \"g\"\nkernel = \"$T/c.cfg\"\n"
head -c $((3 << 20)) /dev/zero >"$T/big.img"
refused "a kernel larger than the guest" "name = \"g\"\nmemory = 2\nkernel = \"$T/big.img\"\n"
refused "an arm64 Image on a PVH board" "name = \"g\"\nkernel = \"$A\"\n"
refused "an x86 ELF kernel on the virt board" "name = \"g\"\nboard = \"virt\"\nkernel = \"$G\"\n"
refused "an unknown kernel_format" "name = \"g\"\nkernel = \"$G\"\nkernel_format = \"elf\"\n"
refused "a FIFO as ramdisk" "name = \"g\"\nkernel = \"$G\"\nramdisk = \"$T/fifo\"\n"
refused "a missing ramdisk" "name = \"g\"\nkernel = \"$G\"\nramdisk = \"/no/such/initrd\"\n"
refused "a command line longer than PVH's" "name = \"g\"\nkernel = \"$G\"\ncmdline = \"$(printf 'x%.0s' $(seq 25000))\"\n"

# text that is not what a config is made of
refused "a value that is not UTF-8" 'name = "g"\nextra = "a\xff\xfeb"\n'
refused "a control character in the file" 'name = "g"\x01\n'
refused "an overlong UTF-8 slash" 'name = "g"\n# \xc0\xaf\n'
refused "a dotted key libxlutil reads whole" 'name = "g"\ncpu.. = 4\n'
refused "a size with a suffix xl has not" 'name = "g"\nmemory = "64q"\n'
refused "a list where a string belongs" 'name = "g"\nkernel = [ "a", "b" ]\n'
refused "a string where a number belongs" 'name = "g"\nvcpus = "4x"\n'
refused "maxmem that is not a size" 'name = "g"\nmaxmem = "big"\n'
refused "an unknown on_watchdog action" 'name = "g"\non_watchdog = "bark"\n'
refused "an unknown on_soft_reset action" 'name = "g"\non_soft_reset = "again"\n'
refused "a uuid one digit short" 'name = "g"\nuuid = "12345678-9abc-def0-1234-56789abcdef"\n'
refused "a newline inside a vif (xl's \\n), quoted back on one line" 'name = "g"\nvif = [ "mac=zz\\nq" ]\n'
refused "an unterminated list" 'name = "g"\ndisk = [ "a"\n'

# devices
refused "a disk without a target" 'name = "g"\ndisk = [ "vdev=xvda" ]\n'
refused "a vif with a bad MAC" 'name = "g"\nvif = [ "mac=zz:00:00:00:00:00" ]\n'

# an existing name: refused by the backend, naming the domain
"$PXL" create -p "$EX/pc.cfg" name=taken kernel="$G" >/dev/null 2>&1
before=$(host)
refused "a name another domain has" "name = \"taken\"\nkernel = \"$G\"\n"
"$PXL" destroy taken

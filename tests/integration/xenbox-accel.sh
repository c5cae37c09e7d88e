#!/bin/bash
# tests/integration/xenbox-accel.sh - the xen box boots with the accelerator
# that works, not the one that exists: PHYSMAP_XENBOX_ACCEL is checked,
# forced KVM that cannot work fails in seconds with its reason, a machine
# without /dev/kvm (a mount namespace without it) and one whose /dev/kvm is
# not KVM choose TCG and say why, and the box's watchdogs stop a boot that
# does not speak. None of these boots Xen: `make check-xen` does.
. "${top_srcdir:-.}/tests/tap.sh"
S=${top_srcdir:-.}
X=$S/tests/xenbox
need_tool qemu-system-x86_64 qemu-system-x86
need_tool unshare util-linux
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export PHYSMAP_XENBOX_CACHE=$T/cache

# accel [ENV=VALUE]... [--without-kvm | --not-kvm]: run xenbox.sh --print-accel;
# sets rc, out (stdout), err (stderr) and secs
accel() {
	local wrap=()
	case ${1:-} in
	--without-kvm) wrap=("$X/without-kvm.sh"); shift ;;
	--not-kvm) wrap=("$X/without-kvm.sh" bash -c ': > /dev/kvm; mount --bind /dev/null /dev/kvm; exec "$@"' not-kvm); shift ;;
	esac
	local t0=$SECONDS
	env "$@" "${wrap[@]}" bash "$X/xenbox.sh" --print-accel >"$T/out" 2>"$T/err"
	rc=$?
	secs=$((SECONDS - t0))
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
lines() { printf '%s\n' "$1" | grep -c .; }

plan 16

accel PHYSMAP_XENBOX_ACCEL=fast
is "an unknown PHYSMAP_XENBOX_ACCEL is refused: exit 2, one line naming the value" "2 1 1" \
	"$rc $(lines "$err") $(printf '%s' "$err" | grep -c "PHYSMAP_XENBOX_ACCEL='fast' is not kvm, tcg or auto")"
is "and nothing was fetched or made for it (no cache directory)" "no" "$([ -e "$T/cache" ] && echo yes || echo no)"

accel PHYSMAP_XENBOX_ACCEL=tcg
is "PHYSMAP_XENBOX_ACCEL=tcg forces TCG, and the one log line says so" "0 tcg 1" \
	"$rc $out $(printf '%s' "$err" | grep -c '^xenbox: accelerator: tcg (PHYSMAP_XENBOX_ACCEL=tcg)$')"

accel --without-kvm
is "without /dev/kvm the box chooses TCG" "0 tcg" "$rc $out"
is "and says why in one line" "xenbox: accelerator: tcg (KVM would not work: there is no /dev/kvm)" "$err"
accel --without-kvm PHYSMAP_XENBOX_ACCEL=kvm
is "a forced KVM without /dev/kvm fails: exit 1, one line, the reason" "1 1 1" \
	"$rc $(lines "$err") $(printf '%s' "$err" | grep -c '^xenbox: PHYSMAP_XENBOX_ACCEL=kvm cannot work: there is no /dev/kvm$')"
is "within seconds" "1" "$([ "$secs" -le 10 ] && echo 1)"

accel --not-kvm
is "a /dev/kvm that is not KVM (QEMU cannot start on it): TCG, and why" "0 tcg 1" \
	"$rc $out $(printf '%s' "$err" | grep -c '^xenbox: accelerator: tcg (KVM would not work: qemu-system-x86_64 -accel kvm does not start: .')"
accel --not-kvm PHYSMAP_XENBOX_ACCEL=kvm
is "forced there: exit 1 in seconds, one line with QEMU's reason" "1 1 1" \
	"$rc $(lines "$err") $([ "$secs" -le 30 ] && printf '%s' "$err" | grep -c 'cannot work: qemu-system-x86_64 -accel kvm does not start: .')"

# this machine's own /dev/kvm, whatever it can do: the choice and the forced
# run agree, and a TCG choice comes with KVM's reason
accel
auto_rc=$rc auto=$out auto_err=$err
accel PHYSMAP_XENBOX_ACCEL=kvm
echo "# this machine: $auto_err"
is "on this machine the automatic choice is made and said in one line" "0 1 1" \
	"$auto_rc $(lines "$auto_err") $(printf '%s' "$auto_err" | grep -c "^xenbox: accelerator: $auto (")"
case $auto in
tcg)
	why=${auto_err#*KVM would not work: }
	why=${why%)}
	if [ "$why" = "$auto_err" ]; then   # a probe said no: forcing may boot, but not here
		is "TCG because a probe booted Xen on KVM and it could not serve (or no KVM)" "1" \
			"$(printf '%s' "$auto_err" | grep -c 'probe\|no hvm')"
	else
		is "TCG because KVM would not work, and a forced KVM fails with that same reason" \
			"1 xenbox: PHYSMAP_XENBOX_ACCEL=kvm cannot work: $why" "$rc $err"
	fi
	;;
kvm)
	is "KVM because the probe proved Xen offers hvm on it; forcing it agrees" "0 kvm 1" \
		"$rc $out $(printf '%s' "$auto_err" | grep -c 'offers.*hvm')"
	;;
*) fail "the choice is kvm or tcg" "got '$auto'" ;;
esac
is "forcing KVM answers within seconds either way" "1" "$([ "$secs" -le 30 ] && echo 1)"

# the watchdogs: a kernel that never speaks, one QEMU refuses
python3 -c '
import struct, sys
magic, flags = 0x1BADB002, 0x00010000          # multiboot, a.out kludge: load the file flat
hdr = struct.pack("<8I", magic, flags, -(magic + flags) & 0xffffffff, 0x100000, 0x100000, 0, 0, 0x100020)
sys.stdout.buffer.write(hdr + b"\0" * (0x20 - len(hdr)) + b"\xeb\xfe")   # jmp $' > "$T/silent.bin"
: > "$T/initrd.gz"
r=$(xen=$T/silent.bin vmlinuz=/dev/null work=$T disk= bash -c '
	. "$1/accel.sh"
	box_silent_tcg=3
	t0=$SECONDS
	box_boot tcg max,-xsave "$2/serial.log" 60 </dev/null
	echo "$((SECONDS - t0))|$box_why"' box "$X" "$T")
is "a box that prints nothing is stopped when its silence limit ends, and says so" \
	"Xen printed nothing in 3 s under tcg" "$(printf '%s' "$r" | cut -d'|' -f2)"
is "in that time, not the run's limit" "1" "$(printf '%s' "$r" | awk -F'|' '{ print ($1 >= 3 && $1 <= 15) }')"
r=$(xen=/etc/hostname vmlinuz=/dev/null work=$T disk= bash -c '
	. "$1/accel.sh"
	box_boot tcg max,-xsave "$2/serial.log" 60 </dev/null
	echo "$?|$box_why"' box "$X" "$T")
is "a kernel QEMU refuses ends the box at once with QEMU's own reason" "1|qemu: linux kernel too old to load a ram disk" "$r"
is "no QEMU is left running" "0" "$(pgrep -f "$T/" | wc -l)"

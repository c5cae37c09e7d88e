# tests/xenbox/accel.sh - how the xen box boots, and which accelerator can
# boot it (sourced by xenbox.sh, which sets xen, vmlinuz, work, disk and
# cache before it calls these).
#
#   accel_kvm_quick         a KVM CPU model QEMU starts with and that offers
#                           SVM or VMX to the box, or why there is none (1)
#   accel_kvm_probe CPU     boot the box on KVM and ask Xen for its virt_caps:
#                           0 when it offers hvm, 1 when not, accel_why why;
#                           the answer is cached in $cache per host, QEMU, Xen
#   box_boot ACCEL CPU LOG LIMIT [DOM0-ARGS]
#                           boot the box, its serial port to LOG, watched:
#                           Xen must speak, dom0 must start its script, all
#                           within LIMIT s; box_why says which did not
#   box_watch LOG LIMIT FIRST BEGIN WHAT
#                           the same watch over a QEMU already started
#                           ($box_qpid; the arm64 box's)
#   box_initrd DIR OUT      DIR packed as an initramfs into OUT
#   box_result LOG QRC      print what dom0's script printed and exit with
#                           its status (1, saying why, when it never ended)

box_qpid=
# the watchdogs, in seconds: Xen's first line, dom0 starting the script
box_silent_tcg=30 box_start_tcg=240
box_silent_kvm=15 box_start_kvm=90

# QEMU's answer about the "host" CPU model on KVM, with CPU (a -cpu value)
# as the machine's: QEMU's error line and status 1 when it does not start
accel_kvm_expansion() {
	local out errf rc
	errf=$(mktemp)
	out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
		'{"execute":"query-cpu-model-expansion","arguments":{"type":"full","model":{"name":"host"}}}' \
		'{"execute":"quit"}' |
		timeout --kill-after=5 20 qemu-system-x86_64 -accel kvm -M pc -cpu "$1" -m 64 -S \
			-display none -nodefaults -qmp stdio 2>"$errf")
	rc=$?
	if [ "$rc" != 0 ]; then   # QEMU's error line, else its first
		{ grep -m1 -i 'error' "$errf" || grep -m1 . "$errf" || echo "status $rc"; } |
			sed 's/^qemu-system-x86_64: *//; s/^error: *//'
	else
		printf '%s\n' "$out"
	fi
	rm -f "$errf"
	return "$rc"
}

accel_kvm_quick() {
	[ -e /dev/kvm ] || { echo "there is no /dev/kvm"; return 1; }
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "/dev/kvm is not open to $(id -un)"; return 1; }
	local cpu out first=
	for cpu in host host,-arch-capabilities; do
		if out=$(accel_kvm_expansion "$cpu"); then
			if printf '%s' "$out" | grep -q '"\(svm\|vmx\)": true'; then
				echo "$cpu"
				return 0
			fi
			echo "KVM offers no SVM or VMX to its guests (no nested virtualisation)," \
				"so Xen in the box could not run HVM or PVH guests${first:+; -cpu host: $first}"
			return 1
		fi
		first=${first:-$out}
	done
	echo "qemu-system-x86_64 -accel kvm does not start: $first"
	return 1
}

accel_kvm_probe() {
	local cpu=$1 key f caps t0=$SECONDS
	key=$({ qemu-system-x86_64 --version | head -1; uname -r; grep -m1 '^model name' /proc/cpuinfo
		grep -m1 '^flags' /proc/cpuinfo; ls /sys/module | grep kvm; cksum < "$xen"; echo "$cpu"; } |
		sha256sum | cut -c1-16)
	f=$cache/accel-probe-$key
	if [ ! -s "$f" ]; then
		box_boot kvm "$cpu" "$work/probe.log" 90 " xenbox.probe" </dev/null
		caps=$(tr -d '\r' < "$work/probe.log" | sed -n 's/^virt_caps=//p' | head -1)
		case " $caps " in
		*" hvm "*)
			printf 'kvm\nthe probe booted Xen on KVM in %s s, and it offers %s\n' "$((SECONDS - t0))" "$caps" > "$f" ;;
		"  ")   # a box that did not come up: say so, ask again next time
			accel_why="the probe did not boot Xen on KVM: ${box_why:-Xen gave no virt_caps}"
			return 1 ;;
		*)
			printf 'tcg\nXen booted on KVM offers "%s", no hvm\n' "$caps" > "$f" ;;
		esac
	else
		accel_why="cached: "
	fi
	accel_why=${accel_why:-}$(sed -n '2p' "$f")
	[ "$(head -1 "$f")" = kvm ]
}

# QEMU's first line on its stderr, as "qemu: WHAT"
# box_initrd DIR OUT: DIR as an initramfs (newc cpio, gzip), its /init executable
box_initrd() {
	chmod +x "$1/init"
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
}

box_result() {
	local log=$1 qrc=$2 rc
	tr -d '\r' < "$log" | sed -n '/^XENBOX: BEGIN$/,/^XENBOX: END rc=[0-9]*$/p' | sed '1d;$d'
	rc=$(tr -d '\r' < "$log" | sed -n 's/^XENBOX: END rc=\([0-9]*\)$/\1/p' | tail -1)
	if [ -z "$rc" ]; then
		say "the box did not finish (${box_why:-qemu status $qrc}); Xen's last lines, then the script's:"
		tr -d '\r' < "$log" | grep '^(XEN)' | tail -n 5 >&2
		tr -d '\r' < "$log" | grep -v '^(XEN)' | tail -n 10 >&2
		exit 1
	fi
	exit "$rc"
}

box_qemu_said() {
	grep -m1 . "$1" | sed 's/^qemu-system-[a-z0-9_]*: *//; s/^qemu: *//; s/^/qemu: /'
}

box_boot() {
	local accel=$1 cpu=$2 log=$3 limit=$4 extra=${5:-} first=$box_silent_tcg begin=$box_start_tcg
	[ "$accel" = kvm ] && { first=$box_silent_kvm; begin=$box_start_kvm; }
	: > "$log"
	qemu-system-x86_64 -accel "$accel" -M pc -cpu "$cpu" -m 2048 -smp 1 \
		-display none -monitor none -serial "file:$log" -no-reboot \
		${disk:+-drive "file=$disk,if=virtio,format=raw"} -kernel "$xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all smap=0" \
		-initrd "$vmlinuz console=hvc0 earlyprintk=xen panic=5 quiet$extra,$work/initrd.gz" \
		>"$log.qemu" 2>&1 &
	box_qpid=$!
	box_watch "$log" "$limit" "$first" "$begin" "$accel"
}

# box_watch LOG LIMIT FIRST BEGIN WHAT: the QEMU at $box_qpid watched until
# it ends: Xen's first line within FIRST s, dom0's "XENBOX: BEGIN" within
# BEGIN s, all within LIMIT s, or it is stopped and box_why says which
# (WHAT names the accelerator in it). returns: QEMU's status
box_watch() {
	local log=$1 limit=$2 first=$3 begin=$4 what=$5 t0=$SECONDS t began= rc
	box_why=
	while kill -0 "$box_qpid" 2>/dev/null; do
		t=$((SECONDS - t0))
		if [ -z "$began" ] && grep -q '^XENBOX: BEGIN' "$log"; then
			began=1
		elif [ "$t" -ge "$first" ] && [ ! -s "$log" ]; then
			box_why="Xen printed nothing in $first s under $what"
		elif [ "$t" -ge "$begin" ] && [ -z "$began" ]; then
			box_why="dom0 did not start the script in $begin s under $what"
		elif [ "$t" -ge "$limit" ]; then
			box_why="the run took more than $limit s"
		fi
		[ -z "$box_why" ] || break
		sleep 0.5
	done
	if [ -n "$box_why" ]; then
		[ ! -s "$log.qemu" ] || box_why="$box_why ($(box_qemu_said "$log.qemu"))"
		kill "$box_qpid" 2>/dev/null
		for t in $(seq 20); do kill -0 "$box_qpid" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$box_qpid" 2>/dev/null
	fi
	wait "$box_qpid"
	rc=$?
	box_qpid=
	if [ -z "$box_why" ] && [ -s "$log.qemu" ] && ! grep -q '^XENBOX: END' "$log"; then
		box_why=$(box_qemu_said "$log.qemu")
	fi
	return "$rc"
}

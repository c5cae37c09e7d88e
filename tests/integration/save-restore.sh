#!/bin/bash
# save-restore.sh - save, restore and live migration (issue 10) on the
# simulator: the test guests saved and restored on a simulator started
# later, both boards; a ballooned guest's P2M shape and its balloon driver
# across a restore; live migration of the memory workload between two
# simulators (two run directories); Xen's verify-stream-v2 on a PC save
# file; bad streams refused with nothing left behind; the stream cut at
# random offsets, the receiver killed, the sender killed, the disk full.
. "${top_srcdir:-.}/tests/tap.sh"
GA=${top_builddir:-.}/tests/guests/arm64/guest.img
GX=${top_builddir:-.}/tests/guests/x86/guest.elf
[ -f "$GA" ] || bail "$GA not built: configure found no aarch64-linux-gnu-gcc"
[ -f "$GX" ] || bail "$GX not built: configure found no 32-bit x86 compiler (gcc -m32)"
V=/usr/lib/xen-4.17/bin/verify-stream-v2
[ -x "$V" ] || bail "$V missing: install xen-utils-4.17 (scripts/deps.sh does)"
. "${top_srcdir:-.}/tests/integration/guest-lib.sh"
R1=$PHYSMAP_RUNDIR
R2=$T/run2
trap 'pkill -f "physmap-sim --rundir $T" 2>/dev/null; pkill -f "physmap-dm --sim .* --rundir $T" 2>/dev/null; umount "$T/full" 2>/dev/null; [ -f "$T/ssh/sshd.pid" ] && kill "$(cat "$T/ssh/sshd.pid")" 2>/dev/null; rm -rf "$T"' EXIT

on2() { PHYSMAP_RUNDIR=$R2 "$@"; }
log2() { cat "$R2/console/$1.log" 2>/dev/null; }
field2() { on2 "$PXL" list -j | sed -n "/\"name\": *\"$1\"/s/.*\"$2\": *\\(\"[^\"]*\"\\|[0-9]*\\).*/\\1/p" | tr -d '"'; }
# the last complete workload round in a log
last_round() { sed -n 's/^workload: \([0-9]*\) rounds over .* ok$/\1/p' | tail -1; }
# the first round past $2 in the first simulator's log of $1 (or of $3: a
# migrated source is NAME--migratedaway) followed by the second's: a line
# the guest had half written when it moved ends there, so the first log is
# read whole (log drops a last line without its newline)
next_round() { { cat "$R1/console/${3:-$1}.log" 2>/dev/null; log2 "$1"; } | sed -n 's/^workload: \([0-9]*\) rounds over .* ok$/\1/p' | awk -v b="$2" '$1 > b' | head -1; }
# waits up to 30 s for a log of the second simulator to have a round past $2
wait_round2() {
	local i n
	for i in $(seq 300); do
		n=$(log2 "$1" | last_round)
		[ -n "$n" ] && [ "$n" -gt "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# what a run directory's store holds under /local/domain, dom0's aside
homes() { XENSTORED_PATH=$1/xenstored.sock xenstore-list /local/domain 2>/dev/null | grep -vx 0 | tr '\n' ' '; }
dms() { pgrep -f "physmap-dm --sim .* --rundir $1( |$)" | wc -l; }
bootv() { local n=$1 w=$2; shift 2; "$PXL" create "$EX/virt.cfg" name="$n" kernel="$GA" "extra=\"$w\"" "$@" >/dev/null 2>&1; }
bootx() { local n=$1 w=$2; shift 2; "$PXL" create "$EX/pc.cfg" name="$n" kernel="$GX" "cmdline=\"$w\"" "$@" >/dev/null 2>&1; }

plan 52

# ---- save and restore, virt (arm64), onto a simulator started later ----
bootv wa "workload=8,0" memory=128
wait_log wa "^workload"
out=$("$PXL" save wa "$T/wa.save")
is "pxl save: exit 0, a report; the domain is gone (destroyed, as xl does)" "0 saved|" \
	"$? $(printf '%s' "$out" | cut -d' ' -f1)|$(names | grep -w wa)"
before=$(log wa | last_round)
[ -e "$R2/sim.sock" ] && fail "the second simulator runs already" || ok "no second simulator yet: it starts for the restore"
out=$(on2 "$PXL" restore "$T/wa.save")
is "pxl restore on the second simulator: exit 0" "0 restored wa as domain 1" "$? $out"
wait_round2 wa "$((before + 2))"
is "the workload goes on where it stopped: its next round first, its pages checked, more rounds" \
	"$((before + 1)) running" "$(next_round wa "$before") $(field2 wa state)"
is "its device state came along: the PL011's registers (the guest's UART setup) answer as before" "0" \
	"$(log2 wa | grep -c 'crash\|does not hold')"
on2 "$PXL" destroy wa

# ---- pc (x86): the stream Xen's checker judges ----
bootx xa "workload=8,0" memory=128 on_crash=preserve   # a crash after the restore keeps its reason (pxl list -j)
wait_log xa "^workload"
"$PXL" save xa "$T/xa.save" >/dev/null
export PYTHONPATH=/usr/lib/xen-4.17/lib/python${PYTHONPATH:+:$PYTHONPATH}
vout=$("$V" -f xl -v -i "$T/xa.save" 2>&1)
is "verify-stream-v2 accepts pxl's save file of a PC guest" "0" "$?"
is "it saw an x86 HVM stream: pages, the HVM context (hvm_hw_cpu), params, the emulator's context" "1 1 1 1 1" \
	"$(for r in 'x86 HVM' 'Page data' 'HVM context' 'HVM params' 'Emulator context'; do
		printf '%s\n' "$vout" | grep -qi "$r" && printf '1 ' || printf '0 '; done | sed 's/ $//')"
before=$(log xa | last_round)
out=$(on2 "$PXL" restore "$T/xa.save")
is "the PC guest restores on the second simulator" "0" "$?"
wait_round2 xa "$((before + 2))"
[ "$(field2 xa state)" = running ] || echo "# xa on the second simulator: $(field2 xa state) $(field2 xa why)"
is "and runs on from its round, through COM1 (port I/O to physmap-dm)" "$((before + 1)) running" \
	"$(next_round xa "$before") $(field2 xa state)"
on2 "$PXL" destroy xa

# ---- localhost: migration within one simulator (the names as xl does it) ----
bootv lh "workload=8,0" memory=64
wait_log lh "^workload"
old=$(field lh domid)
out=$("$PXL" migrate --transport=cmd lh "$PXL migrate-receive" 2>&1)
rc=$?
is "localhost migration (one simulator): exit 0; lh runs under its name with a new id; no --incoming or --migratedaway left" \
	"0 running 1 0" "$rc $(field lh state) $([ "$(field lh domid)" != "$old" ] && echo 1) $(names | tr ' ' '\n' | grep -c -- '--')"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
sleep 0.5   # the source's device model leaves after its domain
is "the source's console sockets are gone; the copy's lh.sock and lh.ctl are there (the source's model left them alone)" \
	"0 lh.ctl lh.sock" \
	"$(ls "$PHYSMAP_RUNDIR/console" | grep -c -- '--migratedaway\.\(sock\|ctl\)') $(ls "$PHYSMAP_RUNDIR/console" | grep -x 'lh\.\(sock\|ctl\)' | tr '\n' ' ' | sed 's/ $//')"
wait_log lh "^workload: [0-9]* rounds over .* ok"
is "its console goes on in lh.log: the copy's workload holds" "1 0" \
	"$(log lh | grep -c '^workload: [0-9]* rounds over .* ok' | awk '{ print ($1 > 0) }') $(log lh | grep -c 'crash\|does not hold')"
"$PXL" destroy lh

# ---- save -c, save -p ----
bootv wc "workload=4,0" memory=64
wait_log wc "^workload"
"$PXL" save -c wc "$T/wc.save" >/dev/null
is "save -c: the domain runs on" "running" "$(field wc state)"
"$PXL" save -p wc "$T/wc2.save" >/dev/null
is "save -p: it stays paused" "paused" "$(field wc state)"
out=$("$PXL" save wc "$T/wc2.save" 2>&1)
is "saving over an existing file: refused, exit 1, nothing destroyed" "1 pxl save: $T/wc2.save: File exists paused" \
	"$? $out $(field wc state)"
"$PXL" destroy wc

# ---- a ballooned guest: its missing runs and its balloon driver come along ----
bootv bal "balloon" memory=512
wait_log bal "^balloon"
"$PXL" mem-set -w bal 128m >/dev/null 2>&1
shape=$("$PXL" p2m bal | awk '{ print $1, $2 }')
"$PXL" save bal "$T/bal.save" >/dev/null
on2 "$PXL" restore "$T/bal.save" >/dev/null
is "restored, the P2M has the same runs: RAM where the balloon left it, missing where it took" "$shape" \
	"$(on2 "$PXL" p2m bal | awk '{ print $1, $2 }')"
is "tot_pages is still 128 MiB and the two rings" "32770" "$(field2 bal tot_pages)"
out=$(on2 "$PXL" mem-set -w bal 512m 2>&1)
is "its store watch came along: mem-set 512m on the restored guest, its balloon driver answers" "0 131074" \
	"$? $(field2 bal tot_pages)"
on2 "$PXL" destroy bal

# ---- live migration between two simulators ----
bootv mig "workload=16,0" memory=256
wait_log mig "^workload"
out=$("$PXL" migrate --transport=cmd mig "PHYSMAP_RUNDIR=$R2 $PXL migrate-receive" 2>/dev/null)
rc=$?
is "pxl migrate (live, to migrate-receive on the other simulator): exit 0, a report with the downtime" \
	"0 1" "$rc $(printf '%s' "$out" | grep -c '^migrated mig: [0-9]* rounds, [0-9]* pages, .* downtime [0-9.]* ms$')"
is "the source is gone from the first simulator, with its store entries and device model" "||0" \
	"$(names | grep -w mig)|$(homes "$R1" | grep -v '^$' | wc -w | sed 's/^0$//')|$(dms "$R1")"
before=$(log mig--migratedaway | last_round)   # the source's, renamed for the migration
wait_round2 mig "$((before + 2))"
is "the guest runs on the second: the workload's checksums hold (a bad page crashes it), its console goes on" \
	"running $((before + 1))" "$(field2 mig state) $(next_round mig "$before" mig--migratedaway)"
rounds=$(printf '%s' "$out" | sed -n 's/.*: \([0-9]*\) rounds,.*/\1/p')
is "the dirtying guest took precopy rounds (at least two) before its pause" "1" "$([ "${rounds:-0}" -ge 2 ] && echo 1)"
out=$(on2 "$PXL" migrate --transport=tcp mig 127.0.0.1:1 2>&1)
is "nobody listening: exit 1, one line, the guest runs on" "1 1 running" \
	"$? $(printf '%s\n' "$out" | wc -l) $(field2 mig state)"
port=$((20000 + RANDOM % 20000))
"$PXL" migrate-receive --listen "127.0.0.1:$port" >/dev/null 2>&1 &
rpid=$!
sleep 0.5
out=$(on2 "$PXL" migrate --transport=tcp mig "127.0.0.1:$port" 2>/dev/null)
wait $rpid
is "over TCP back to the first simulator (migrate-receive --listen): exit 0, running there" "0 running" \
	"$? $(field mig state)"

# ---- over ssh, as xl migrate: an sshd of our own on a private port; the
# "other host" is the second simulator, which that sshd's sessions reach ----
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || bail "$SSHD missing: install openssh-server (scripts/deps.sh does)"
abs() { (cd "$1" && pwd); }
mkdir -p "$T/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/id" &&
	cp "$T/ssh/id.pub" "$T/ssh/authorized_keys"
for try in 1 2 3 4 5; do
	sport=$((20000 + RANDOM % 20000))
	cat > "$T/ssh/sshd_config" <<EOF
Port $sport
ListenAddress 127.0.0.1
HostKey $T/ssh/host
AuthorizedKeysFile $T/ssh/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $T/ssh/sshd.pid
SetEnv PATH=$(abs "$B"):/usr/bin:/bin PHYSMAP_RUNDIR=$R2 PHYSMAP_CONNECT=sim PXL_PLUGIN_PATH=$(abs "$B")/xl-plugins/.libs PHYSMAP_SIM=$(abs "$B")/physmap-sim PHYSMAP_DM=$(abs "$B")/physmap-dm PHYSMAP_HOST_MEMORY=$PHYSMAP_HOST_MEMORY${PHYSMAP_SIM_ENGINE:+ PHYSMAP_SIM_ENGINE=$PHYSMAP_SIM_ENGINE}
EOF
	"$SSHD" -f "$T/ssh/sshd_config" -E "$T/ssh/log" && break
done
SSH="ssh -p $sport -i $T/ssh/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
out=$("$PXL" migrate --ssh-command="$SSH" mig 127.0.0.1 2>&1)
rc=$?
is "pxl migrate over ssh (--ssh-command, xl's -s) to the other host: exit 0, the report" "0 1" \
	"$rc $(printf '%s\n' "$out" | grep -c '^migrated mig: ')"
[ "$rc" = 0 ] || { printf '%s\n' "$out"; cat "$T/ssh/log"; } | sed 's/^/# /'
before=$(log mig--migratedaway | last_round)
wait_round2 mig "$((before + 2))"
is "the guest runs there (its migrate-receive ran in an ssh session), gone here" "running|" \
	"$(field2 mig state)|$(names | grep -w mig)"
out=$(on2 "$PXL" migrate --ssh-command="ssh -p 1 -o BatchMode=yes -o ConnectTimeout=5" mig 127.0.0.1 2>&1)
is "ssh cannot connect: exit 1, one line, the guest runs on" "1 1 running" \
	"$? $(printf '%s\n' "$out" | grep -v '^ssh: ' | wc -l) $(field2 mig state)"
out=$(on2 "$PXL" migrate --transport=tcp --ssh-command="$SSH" mig 127.0.0.1:1 2>&1)
is "--ssh-command with another transport: refused before anything happens" "2 running" "$? $(field2 mig state)"
kill "$(cat "$T/ssh/sshd.pid")"
on2 "$PXL" destroy mig

# ---- bad streams: refused at the byte, nothing left behind ----
# a destroyed domain's device model leaves when it hears its connection
# close, a moment after destroy returns: count once each domain has one
for i in $(seq 100); do
	[ "$(dms "$R2")" = "$(on2 "$PXL" list | awk 'NR > 2' | wc -l)" ] && break
	sleep 0.1
done
free0=$(on2 "$PXL" info | sed -n 's/^free_memory *: //p')
dms0=$(dms "$R2")
gone() { echo "$(on2 "$PXL" list | awk 'NR > 2' | wc -l) $(homes "$R2" | wc -w) $(( $(dms "$R2") - dms0 )) $(( $(on2 "$PXL" info | sed -n 's/^free_memory *: //p') - free0 ))"; }
size=$(stat -c %s "$T/wa.save")
for cut in 20 600 $((size / 2)) $((size - 9)); do
	head -c "$cut" "$T/wa.save" > "$T/cut.save"
	out=$(on2 "$PXL" restore "$T/cut.save" 2>&1)
	is "a save file cut at byte $cut: exit 1, one line naming the file and the byte; no domain, store entry, device model or frame left" \
		"1 1 1 0 0 0 0" "$? $(printf '%s\n' "$out" | wc -l) $(printf '%s' "$out" | grep -c "cut.save: byte [0-9]*: ") $(gone)"
done
python3 - "$T/wa.save" "$T" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
p = 32 + 16 + struct.unpack('<I', d[44:48])[0] + 16   # xl header, libxl header
p += 8 + 24 + 16                                        # LIBXC_CONTEXT, the libxc headers
recs = []
while True:
    t, l = struct.unpack('<II', d[p:p + 8])
    recs.append((p, t, l))
    p += 8 + ((l + 7) & ~7)
    if t == 0:
        break
def write(name, b):
    open(sys.argv[2] + '/' + name, 'wb').write(b)
first_page = next(r for r in recs if r[1] == 1)
vcpus = next(r for r in recs if r[1] == 0x40000001)
# an unknown mandatory record before the first page
write('unknown.save', d[:first_page[0]] + struct.pack('<II', 0x77, 0) + d[first_page[0]:])
# a record claiming 64 MiB
write('huge.save', d[:first_page[0]] + struct.pack('<II', 1, 64 << 20) + d[first_page[0] + 8:])
# the vCPUs' record moved before the pages (reordered)
vb = d[vcpus[0]:vcpus[0] + 8 + ((vcpus[2] + 7) & ~7)]
write('reordered.save', d[:first_page[0]] + vb + d[first_page[0]:vcpus[0]] + d[vcpus[0] + len(vb):])
def without(rec):
    return d[:rec[0]] + d[rec[0] + 8 + ((rec[2] + 7) & ~7):]
# the libxl records after the libxc stream's END
xl = []
while True:
    t, l = struct.unpack('<II', d[p:p + 8])
    xl.append((p, t, l))
    p += 8 + ((l + 7) & ~7)
    if t == 0:
        break
write('noemu.save', without(next(r for r in xl if r[1] == 3)))       # no EMULATOR_CONTEXT
params = next(r for r in recs if r[1] == 0x0a)
write('noparams.save', without(params))                              # no HVM_PARAMS
n = struct.unpack('<I', d[params[0] + 8:params[0] + 12])[0]
for i in range(n):                                                   # STORE_PFN 0xffffffffffff
    at = params[0] + 16 + 16 * i
    if struct.unpack('<Q', d[at:at + 8])[0] == 1:
        write('storepfn.save', d[:at + 8] + struct.pack('<Q', 0xffffffffffff) + d[at + 16:])
write('param.save', d[:params[0] + 16] + struct.pack('<Q', 1000) + d[params[0] + 24:])   # parameter 1000
write('optflags.save', d[:40] + struct.pack('<I', 4) + d[44:])      # an optional-data flag xl never defined
pfns = first_page[0] + 16                                            # PAGE_DATA: count, reserved, pfns
write('duppfn.save', d[:pfns + 8] + d[pfns:pfns + 8] + d[pfns + 16:])   # its second pfn is its first
PY
for c in "unknown:libxc record 0x77: unknown, and not optional" "huge:longer than 16777216" \
	"reordered:PAGE_DATA after the vCPUs' state" \
	"noemu:byte [0-9]*: libxl END without EMULATOR_CONTEXT" \
	"noparams:byte [0-9]*: END without HVM_PARAMS naming the store and console rings' pages" \
	"storepfn:byte [0-9]*: HVM_PARAMS: STORE_PFN 0xffffffffffff: this board's ring is at pfn 0x" \
	"param:byte [0-9]*: HVM_PARAMS: parameter 1000: Xen has" \
	"optflags:byte 40: xl's header: optional-data flags 0x4 physmap does not know" \
	"duppfn:byte [0-9]*: PAGE_DATA: pfn 0x[0-9a-f]* twice in one record"; do
	f=${c%%:*}
	out=$(on2 "$PXL" restore "$T/$f.save" 2>&1)
	is "$f record: refused (${c#*:}), nothing left behind" "1 1 0 0 0 0" \
		"$? $(printf '%s' "$out" | grep -c -- "${c#*:}") $(gone)"
done

# ---- a part that cannot be captured fails the save, and leaves no file ----
# the save stopped at its stage (its own trace line) while its device model is killed
stopped() { [ "$(awk '{ print $3 }' /proc/"$1"/stat 2>/dev/null)" = T ]; }
bootv dmd "workload=4,0" memory=64
wait_log dmd "^workload"
id=$(field dmd domid)
PHYSMAP_STOP_AT="save: memory and vCPUs" "$PXL" save dmd "$T/dmd.save" >"$T/dmd.out" 2>&1 &
spid=$!
for i in $(seq 100); do stopped $spid && break; sleep 0.1; done
pkill -9 -f "physmap-dm --sim $id --rundir $PHYSMAP_RUNDIR "
for i in $(seq 50); do pgrep -f "physmap-dm --sim $id --rundir $PHYSMAP_RUNDIR " >/dev/null || break; sleep 0.1; done
kill -CONT $spid
wait $spid
is "save of a domain whose device model dies during it: exit 1, one line saying so, no file, the domain kept" \
	"1 pxl save: domain $id (dmd): its device model is gone: the devices' state cannot be saved|absent|0" \
	"$? $(cat "$T/dmd.out")|$([ -e "$T/dmd.save" ] && echo present || echo absent)|$("$PXL" list dmd >/dev/null 2>&1; echo $?)"
"$PXL" destroy dmd

# ---- the stream broken at random places: both sides stay whole ----
bootv brk "workload=4,0" memory=64
wait_log brk "^workload"
size=$(stat -c %s "$T/wc.save")
bad=0
for i in $(seq 8); do
	cut=$(( (RANDOM * 32768 + RANDOM) % size ))
	"$PXL" migrate --transport=cmd brk "head -c $cut | PHYSMAP_RUNDIR=$R2 $PXL migrate-receive" >/dev/null 2>&1
	rc=$?
	# the refused receiver's device model leaves when its connection closes: a moment after
	for w in $(seq 20); do [ "$(gone)" = "0 0 0 0" ] && break; sleep 0.1; done
	[ "$rc" = 1 ] && [ "$(field brk state)" = running ] && [ "$(gone)" = "0 0 0 0" ] || { bad=$((bad + 1)); echo "# cut at $cut: rc $rc, $(field brk state), $(gone)"; }
done
is "8 migrations cut at random bytes: each fails (exit 1), the source runs on, the destination keeps nothing" "0" "$bad"
"$PXL" migrate --transport=cmd brk "PHYSMAP_RUNDIR=$R2 $PXL migrate-receive <&0 & sleep 0.3; kill -9 \$!" >/dev/null 2>&1
rc=$?
sleep 0.5
is "the receiver killed mid-stream: the migration fails, the source runs on" "1 running" "$rc $(field brk state)"
sleep 1
is "and what the killed receiver had built is destroyed with its connection's device model gone" "0 0 0 0" "$(gone)"
# a receiver that takes the stream and never answers: the sender pauses the guest, waits; killed then
"$PXL" migrate --transport=cmd brk "echo physmap-migrate 1; cat > /dev/null" >/dev/null 2>&1 &
spid=$!
wait_state brk paused
kill -9 $spid
wait $spid 2>/dev/null
wait_state brk running
is "the sender killed while the guest is paused for the stream: the simulator resumes it (its lease)" "running" \
	"$(field brk state)"
# disk full: a 1 MiB tmpfs
mkdir -p "$T/full"
if mount -t tmpfs -o size=1m tmpfs "$T/full"; then
	out=$("$PXL" save brk "$T/full/brk.save" 2>&1)
	is "saving onto a full disk: exit 1, one line naming the write; the file removed; the guest runs on" \
		"1 1 0 running" "$? $(printf '%s\n' "$out" | grep -c 'No space left on device') $(ls "$T/full" | wc -l) $(field brk state)"
	umount "$T/full"
else
	fail "a tmpfs to fill (mount -t tmpfs needs root)"
fi
"$PXL" destroy brk

# progress: one line rewritten in place on a terminal (script(1) gives pxl one), none with -q or off one
bootx pg "workload=8,0" memory=256
tty_run() { script -qec "$*" /dev/null | tr -d '\r' | sed 's/\x1b\[K/\n/g'; }
out=$(tty_run "$PXL" save -c pg "$T/pg.save")
is "save on a terminal: its progress (percent, size, rate) ends at 100%, then the report" "yes yes" \
	"$(printf '%s\n' "$out" | grep -q '^save: 100% of 25[0-9] MiB, [0-9]* MiB/s$' && echo yes) $(printf '%s\n' "$out" | grep -q '^saved domain' && echo yes)"
rm -f "$T/pg.save"
out=$(tty_run "$PXL" save -q -c pg "$T/pg.save")
is "save -q on a terminal: no progress, the report alone" "0 1" \
	"$(printf '%s\n' "$out" | grep -c '%') $(printf '%s\n' "$out" | grep -c '^saved domain')"
rm -f "$T/pg.save"
out=$("$PXL" save pg "$T/pg.save" 2>&1)
is "save off a terminal: no progress, no control characters" "0 1" \
	"$(printf '%s\n' "$out" | grep -c $'%\|\r\|\x1b') $(printf '%s\n' "$out" | grep -c '^saved domain')"
out=$(tty_run "$PXL" restore "$T/pg.save")
is "restore on a terminal: its progress ends at 100%, then the report" "yes yes" \
	"$(printf '%s\n' "$out" | grep -q '^restore: 100% of 25[0-9] MiB, [0-9]* MiB/s$' && echo yes) $(printf '%s\n' "$out" | grep -q '^restored pg' && echo yes)"
out=$(tty_run "$PXL migrate --transport=cmd pg '$PXL migrate-receive'")
is "live migration on a terminal: a line a round (percent, size, rate, dirty pages), the last paused" "yes yes" \
	"$(printf '%s\n' "$out" | grep -q '^round 0: 100% of 25[0-9] MiB, [0-9]* MiB/s, [0-9]* pages dirty$' && echo yes) $(printf '%s\n' "$out" | grep -q '^round [0-9]* (paused): 100% of' && echo yes)"
"$PXL" destroy pg

#!/bin/bash
# xenstored-clients.sh - physmap-xenstored judged by Xen's own clients:
# Debian's xenstore-utils (write, read, ls, list, rm, chmod, exists, watch),
# Xen's test-xenstore and xenstore-control, a domain socket acting as an
# unprivileged domain, clients that break the protocol, and the daemon's
# one-line errors (exit 1) for bad options.
. "${top_srcdir:-.}/tests/tap.sh"
XSD=${top_builddir:-.}/physmap-xenstored
XENBIN=/usr/lib/xen-4.17/bin
[ -x "$XSD" ] || bail "$XSD not built"
need_tool xenstore-write xenstore-utils
need_tool python3 python3
[ -x "$XENBIN/test-xenstore" ] || bail "$XENBIN/test-xenstore not found (install the Debian package 'xen-utils-4.17'; scripts/test does)"
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT

export XENSTORED_PATH=$T/sock
mkdir "$T/dom"

start() {
	"$XSD" --socket "$T/sock" --domain-sockets "$T/dom" "$@" 2>"$T/xsd.err" &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$T/sock" ] && return 0
		sleep 0.05
	done
	bail "physmap-xenstored did not create its socket: $(cat "$T/xsd.err")"
}

# raw REQUEST TYPE BODY(python bytes literal) [TX]: one request on a fresh
# connection, prints "TYPE BODY" of the reply
raw() {
	python3 - "$T/sock" "$@" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t, body = int(sys.argv[2]), eval(sys.argv[3])
tx = int(sys.argv[4]) if len(sys.argv) > 4 else 0
s.sendall(struct.pack("<IIII", t, 42, tx, len(body)) + body)
h = b""
while len(h) < 16:
    h += s.recv(16 - len(h))
rt, rid, rtx, ln = struct.unpack("<IIII", h)
b = b""
while len(b) < ln:
    b += s.recv(ln - len(b))
print(rt, b.decode(errors="replace").replace("\0", "|"))
EOF
}

plan 32

start
is "socket is its owner's only (mode 0600)" "srw-------" "$(stat -c %A "$T/sock")"

out=$("$XENBIN/test-xenstore" 2>&1)
rc=$?
if [ $rc = 0 ] && [ "$(printf '%s\n' "$out" | grep -c ' ns$')" = 12 ]; then
	ok "test-xenstore: all 12 tests pass"
else
	fail "test-xenstore: all 12 tests pass" "exit $rc"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi
check "test-xenstore: 3 s of random tests, 5 iterations each" "$XENBIN/test-xenstore" -r 3 -i 5
is "test-xenstore cleans up after itself" "" "$(xenstore-list /local/domain/0/xenstore-test 2>/dev/null)"

xenstore-write /vm/a "hello world" /vm/b/c/d 1
is "xenstore-read returns what xenstore-write stored" "hello world" "$(xenstore-read /vm/a)"
is "a write creates missing parents with empty values" "" "$(xenstore-read /vm/b/c)"
xenstore-write /vm/z 1 /vm/m 2
is "xenstore-list lists children in creation order" "a b z m" "$(xenstore-list /vm | tr '\n' ' ' | sed 's/ $//')"
is "xenstore-ls -p shows values and dom0's default permission" \
	'a = "hello world" (n0)' "$(xenstore-ls -p /vm | head -1 | sed 's/[ .]*(/ (/')"
check "xenstore-exists: an existing node" xenstore-exists /vm/b/c/d
if xenstore-exists /vm/nope 2>/dev/null; then fail "xenstore-exists: a missing node fails"; else ok "xenstore-exists: a missing node fails"; fi
xenstore-rm /vm/b
if xenstore-read /vm/b/c/d 2>/dev/null; then fail "xenstore-rm removes the whole subtree"; else ok "xenstore-rm removes the whole subtree"; fi
is "xenstore-rm of a missing node under an existing parent succeeds" "0" "$(xenstore-rm /vm/never; echo $?)"
if xenstore-rm /nothere/never 2>/dev/null; then fail "xenstore-rm with a missing parent fails"; else ok "xenstore-rm with a missing parent fails"; fi

xenstore-chmod /vm/a b7 r5 w6 n9
is "xenstore-chmod sets owner and per-domain permissions" "b7 r5 w6 n9" \
	"$(xenstore-ls -p /vm | sed -n 's/^a = .*(\(.*\))$/\1/p' | tr ',' ' ')"
xenstore-write /local/domain/7/owned x
xenstore-chmod -r /local/domain/7 n7
is "xenstore-chmod -r applies to the whole subtree" "n7" \
	"$(xenstore-ls -p /local/domain/7 | sed -n 's/^owned = .*(\(.*\))$/\1/p')"

timeout 10 xenstore-watch -n 3 /watched >"$T/watch.out" 2>&1 &
wpid=$!
for _ in $(seq 100); do [ -s "$T/watch.out" ] && break; sleep 0.05; done
xenstore-write /watched/x 1
xenstore-write /other 1
xenstore-rm /watched
wait $wpid
is "xenstore-watch: fires on registration, for a child write and for the removal, not elsewhere" \
	"/watched /watched/x /watched" "$(tr '\n' ' ' <"$T/watch.out" | sed 's/ $//')"

is "INTRODUCE from dom0 is accepted" "8 OK|" "$(raw 8 'b"3\0" b"4660\0" b"5\0"')"
is "IS_DOMAIN_INTRODUCED says T for an introduced domain" "17 T|" "$(raw 17 'b"3\0"')"
is "GET_DOMAIN_PATH names the domain's home" "10 /local/domain/3|" "$(raw 10 'b"3\0"')"
is "the introduced domain gets a socket of its own" "srw-------" "$(stat -c %A "$T/dom/domain-3" 2>&1)"
xenstore-write /local/domain/3/name guest3 /private secret
xenstore-chmod /local/domain/3 n3
xenstore-chmod /local/domain/3/name r3
is "a domain resolves relative paths below its home" "guest3" \
	"$(XENSTORED_PATH=$T/dom/domain-3 xenstore-read name 2>&1)"
if XENSTORED_PATH=$T/dom/domain-3 xenstore-read /private >/dev/null 2>&1; then
	fail "a domain cannot read dom0's nodes"
else
	ok "a domain cannot read dom0's nodes"
fi
XENSTORED_PATH=$T/dom/domain-3 xenstore-write data/x 1
is "what a domain creates, it owns" "n3" \
	"$(xenstore-ls -p /local/domain/3/data | sed -n 's/^x = .*(\(.*\))$/\1/p')"
is "RELEASE removes the domain's socket" "8 OK||absent" \
	"$(raw 9 'b"3\0"' | sed 's/^9/8/')|$([ -e "$T/dom/domain-3" ] && echo present || echo absent)"
is "after RELEASE its nodes belong to dom0 (XSA-322)" "n0" \
	"$(xenstore-ls -p /local/domain/3/data | sed -n 's/^x = .*(\(.*\))$/\1/p')"

is "xenstore-control check: the store is consistent" "OK" "$("$XENBIN/xenstore-control" check 2>&1)"
is "xenstore-control quota lists the quotas" "nodes 1000" \
	"$("$XENBIN/xenstore-control" quota 2>&1 | head -1 | tr -s ' ')"

is "an unknown request type gets ERROR EINVAL" "16 EINVAL|" "$(raw 99 'b""')"
python3 - "$T/sock" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack("<IIII", 2, 1, 0, 5000) + b"x" * 100)
s.settimeout(5)
sys.exit(0 if s.recv(16) == b"" else 1)
EOF
is "a payload over 4096 bytes ends that connection, and the store serves on" "0 hello world" \
	"$? $(xenstore-read /vm/a)"

kill -TERM $pid
wait $pid
rc=$?
pid=
is "SIGTERM: exit 0 and the socket is gone" "0 absent" "$rc $([ -e "$T/sock" ] && echo present || echo absent)"

out=$("$XSD" --socket "$T/s2" --quota nodez=5 2>&1)
rc=$?
is "an unknown quota: one line naming it, exit 1" "1 1 physmap-xenstored: --quota nodez=5: no such quota (--quota help lists them)" \
	"$rc $(printf '%s\n' "$out" | wc -l) $out"
out=$("$XSD" --socket "$T/no/such/dir/sock" 2>&1)
is "a socket in a missing directory: one line, exit 1, nothing left" \
	"1 physmap-xenstored: --socket $T/no/such/dir/sock: No such file or directory" "$? $out"

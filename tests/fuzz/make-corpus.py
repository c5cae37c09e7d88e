#!/usr/bin/env python3
"""tests/fuzz/make-corpus.py - writes tests/fuzz/corpus/xs/malformed-NN: byte
streams of xs_wire messages that break the protocol one way each (the
regular tests feed every file to the store; the fuzzer starts from them).
Run it again after adding a case; the files are committed."""
import os, random, struct, sys

(CONTROL, DIRECTORY, READ, GET_PERMS, WATCH, UNWATCH, TX_START, TX_END, INTRODUCE,
 RELEASE, GET_DOMAIN_PATH, WRITE, MKDIR, RM, SET_PERMS, WATCH_EVENT, ERROR,
 IS_INTRODUCED, RESUME, SET_TARGET, _RESTRICT, RESET_WATCHES, DIRECTORY_PART) = range(23)


def msg(t, body=b"", tx=0, req=1, length=None):
    return struct.pack("<IIII", t, req, tx, len(body) if length is None else length) + body


cases = [
    msg(READ, b"/x\0", length=5000),                       # payload over 4096
    struct.pack("<IIH", READ, 1, 0),                       # truncated header
    msg(READ, b"/no/nul"),                                 # path without nul
    msg(WRITE, b"novalueandnonul"),                        # write without a nul
    msg(0xFFFF, b"/x\0"),                                  # XS_INVALID
    msg(ERROR, b"EINVAL\0") + msg(WATCH_EVENT, b"/a\0t\0"),  # replies as requests
    msg(READ, b"/a b\0") + msg(READ, b"/a\x01\0"),         # bad characters
    msg(READ, b"/a//b\0") + msg(WRITE, b"/a/\0v"),         # doubled and trailing slash
    msg(WRITE, b"/" + b"p" * 3100 + b"\0v"),               # absolute path too long
    msg(WRITE, b"q" * 2100 + b"\0v"),                      # relative path too long
    msg(SET_PERMS, b"/\0x5\0") + msg(SET_PERMS, b"/\0r\0") + msg(SET_PERMS, b"/\0r99999999\0"),
    msg(TX_END, b"T\0", tx=12345) + msg(READ, b"/\0", tx=999),
    msg(TX_START, b"\0", tx=7),                            # start inside a transaction
    msg(INTRODUCE, b"x\0y\0z\0") + msg(INTRODUCE, b"0\0" b"1\0" b"1\0") +
    msg(INTRODUCE, b"99999\0" b"1\0" b"1\0"),
    msg(DIRECTORY_PART, b"/\0" b"99999\0") + msg(DIRECTORY_PART, b"/\0") +
    msg(DIRECTORY_PART, b"/\0-1\0"),
    b"".join(msg(WATCH, b"/w\0same\0") for _ in range(40)),  # the same watch again
    msg(RM, b"/\0") + msg(MKDIR, b"\0") + msg(READ, b""),   # root, empty path, no body
    bytes(random.Random(1).randrange(256) for _ in range(70000)),
    msg(CONTROL, b"\0") + msg(CONTROL, b"log\0maybe\0") + msg(CONTROL, b"quota\0set\0nodes\0-1\0") +
    msg(CONTROL, b"quota\0set\0nope\0" b"1\0") + msg(CONTROL, b"nonsense\0"),
    msg(TX_START, b"\0") + msg(TX_END, b"X\0", tx=1) + msg(TX_END, b"\0", tx=1),
    msg(SET_TARGET, b"70000\0" b"1\0") + msg(RELEASE, b"70000\0") + msg(RESUME, b"abc\0") +
    msg(GET_DOMAIN_PATH, b"-3\0") + msg(IS_INTRODUCED, b"\0"),
    msg(WATCH, b"@bogus\0t\0") + msg(GET_PERMS, b"@bogus\0") + msg(SET_PERMS, b"@nope\0n0\0") +
    msg(UNWATCH, b"/never\0t\0") + msg(WATCH, b"/only-path\0"),
    msg(WRITE, b"big\0" + b"v" * 4000),                    # a value over an unprivileged quota
    b"".join(msg(TX_START, b"\0", req=i) for i in range(30)),  # more transactions than allowed
    msg(WRITE, b"/a\0" + bytes(range(256)) * 3) + msg(RESET_WATCHES, b"junk"),
    msg(READ, b"/x\0", length=0xFFFFFFFF),                 # length that wraps
    msg(SET_PERMS, b"/\0" + b"r1\0" * 100) + msg(WATCH, b"/w\0t\0" + b"\0" * 80),  # too many strings
]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "xs")
os.makedirs(out, exist_ok=True)
for i, data in enumerate(cases):
    with open(os.path.join(out, "malformed-%02d" % i), "wb") as f:
        f.write(data)
print("wrote %d files to %s" % (len(cases), out), file=sys.stderr)

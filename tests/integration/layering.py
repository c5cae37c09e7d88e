#!/usr/bin/env python3
"""The tree's layers only point down (issue 33).

Every `#include "..."` of the project's own sources (tests aside) goes to
a file of its own part or of a part on a lower layer; parts on one layer
do not include each other. The layers, bottom up, as docs/HACKING.md draws
them:

  0  libphysmap      the library: P2M, E820, config, domains, streams, the
                     backends (hv/), its public headers (include/physmap/,
                     the board interface among them) and the simulator's
                     wire format (sim-protocol.md, sim-proto.h)
  1  boards          guest machine layouts, behind physmap/board.h
  2  tools/common    option tables, sockets, failure injection
  3  tools/sim, devmodel    the simulator (and its store), the device model
  4  tools/pxl       the command line and what its plugins share
  5  xl-plugins      pxl's subcommands

A header is found as the compiler finds it: beside the including file, by
its relative path, "physmap/X" in the public headers, else the one file of
that name in the tree (one in the including file's own part first).
Speaks TAP: the tree as it is, then a planted upward include that must be
found.
"""
import os
import re
import shutil
import sys
import tempfile

LAYERS = [
    ("libphysmap", 0),
    ("boards", 1),
    ("tools/common", 2),
    ("tools/sim", 3),
    ("devmodel", 3),
    ("tools/pxl", 4),
    ("xl-plugins", 5),
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def part_of(rel):
    for part, _ in LAYERS:
        if rel == part or rel.startswith(part + "/"):
            return part
    return None


def layer_of(part):
    return dict(LAYERS)[part]


def sources(top):
    """the project's .c and .h files in a part, relative to top"""
    out = []
    for part, _ in LAYERS:
        for root, _, files in os.walk(os.path.join(top, part)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(root, f), top))
    return sorted(out)


def resolve(top, by_name, src, name):
    """the file (relative to top) that `#include "name"` in src means, or None (a system or generated one)"""
    here = os.path.normpath(os.path.join(os.path.dirname(src), name))
    if os.path.isfile(os.path.join(top, here)):
        return here
    if name.startswith("physmap/"):
        return os.path.join("libphysmap/include", name)
    cands = by_name.get(os.path.basename(name), [])
    cands = [c for c in cands if c.endswith("/" + name) or c == name]
    own = [c for c in cands if part_of(c) == part_of(src)]
    if len(own) == 1:
        return own[0]
    return cands[0] if len(cands) == 1 else None


def violations(top):
    files = sources(top)
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    bad = []
    for src in files:
        with open(os.path.join(top, src), errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                tgt = resolve(top, by_name, src, m.group(1))
                if not tgt or not part_of(tgt):
                    continue
                sp, tp = part_of(src), part_of(tgt)
                if sp == tp:
                    continue
                if layer_of(tp) > layer_of(sp):
                    bad.append("%s:%d: %s (layer %d) includes %s (%s, layer %d): upward"
                               % (src, n, sp, layer_of(sp), tgt, tp, layer_of(tp)))
                elif layer_of(tp) == layer_of(sp):
                    bad.append("%s:%d: %s includes %s of %s, a part beside it" % (src, n, sp, tgt, tp))
    return bad


def main():
    top = os.environ.get("top_srcdir", ".")
    print("1..2")
    bad = violations(top)
    if bad:
        print("not ok 1 - every include of the tree goes to its own part or a lower layer")
        for b in bad:
            print("# " + b)
    else:
        print("ok 1 - every include of the tree goes to its own part or a lower layer")
    # a copy of the layered parts with libphysmap/p2m.c including pxl's header
    tmp = tempfile.mkdtemp()
    try:
        for part, _ in LAYERS:
            shutil.copytree(os.path.join(top, part), os.path.join(tmp, part),
                            ignore=shutil.ignore_patterns("*.o", "*.lo", ".libs", ".deps", "*.so"))
        p2m = os.path.join(tmp, "libphysmap", "p2m.c")
        with open(p2m) as fh:
            text = fh.read()
        with open(p2m, "w") as fh:
            fh.write('#include "pxl-util.h"\n' + text)
        planted = [b for b in violations(tmp) if b.startswith("libphysmap/p2m.c:1: ")]
        want = "libphysmap/p2m.c:1: libphysmap (layer 0) includes tools/pxl/pxl-util.h (tools/pxl, layer 4): upward"
        if planted == [want]:
            print("ok 2 - a planted upward include (libphysmap/p2m.c including pxl-util.h) is found, by file and line")
        else:
            print("not ok 2 - a planted upward include (libphysmap/p2m.c including pxl-util.h) is found, by file and line")
            print("# expected %r, got %r" % (want, planted))
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""scripts/circles.py [BUILD_DIR] - circles between the files of one part.

Issue 33's measure: object file A uses a symbol object file B of the same
part (libphysmap, boards, devmodel, tools/X, xl-plugins) defines, and B (or a file B reaches so) uses one of A's. Read
from the objects' symbol tables (nm), so calls through a header that
declares everything (xs-internal.h, memory-internal.h) count as what they
are. Prints each circle, a line each, and how many there are; exit 0.
Tests' objects are left out.
"""
import collections
import os
import subprocess
import sys


def objects(build):
    seen = {}
    for root, _, files in os.walk(build):
        rel = os.path.relpath(root, build)
        if rel.startswith(("tests", "check-deb", "demo-root", "cross-arm64")):
            continue
        for f in files:
            if f.endswith(".o") and "tests_" not in f:
                o = os.path.join(root, f)
                key = os.path.relpath(o, build).replace("/.libs/", "/")
                if key not in seen or "/.libs/" in o:   # libtool's objects are in .libs
                    seen[key] = o
    return seen


def part(path):
    seg = path.split("/")
    return "/".join(seg[:2]) if seg[0] == "tools" else seg[0]


def graph(build):
    defs, uses = {}, collections.defaultdict(set)
    for key, o in objects(build).items():
        out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBR":
                defs.setdefault(p[2], set()).add(key)
            elif len(p) == 2 and p[0] == "U":
                uses[key].add(p[1])
    g = collections.defaultdict(set)
    for o, us in uses.items():
        for u in us:
            for d in defs.get(u, ()):
                if d != o and part(d) == part(o):
                    g[o].add(d)
    return g


def circles(g):
    """strongly connected parts of more than one file (Tarjan's)"""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                c.append(w)
                if w == v:
                    break
            if len(c) > 1:
                out.append(sorted(c))

    sys.setrecursionlimit(10000)
    for v in list(g):
        if v not in index:
            visit(v)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    found = circles(graph(build))
    for c in sorted(found):
        names = [os.path.basename(o).split("-", 1)[-1] if "_la-" in o or "_" in os.path.basename(o).split("-")[0]
                 else os.path.basename(o) for o in c]
        print("%s: %s" % (part(c[0]), " ".join(names)))
    print("%d circles" % len(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())

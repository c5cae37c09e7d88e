#!/usr/bin/env python3
"""No circle between the files of a part (issue 33).

scripts/circles.py reads the built objects' symbol tables: file A uses a
symbol file B of the same part defines, and B (or a file B reaches so)
uses one of A's, is a circle. The tree has none: a lower file that must
reach a higher one takes a callback or an ops table (STYLE.md). Speaks
TAP: the build tree as it is, then a tree of two planted objects that call
each other, which must be found.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def run(build, script):
    out = subprocess.run([sys.executable, script, build], capture_output=True, text=True)
    return out.stdout.splitlines()


def main():
    top = os.environ.get("top_srcdir", ".")
    build = os.environ.get("top_builddir", ".")
    script = os.path.join(top, "scripts", "circles.py")
    print("1..2")
    lines = run(build, script)
    if lines and lines[-1] == "0 circles":
        print("ok 1 - no circle between the files of any part (scripts/circles.py on the build)")
    else:
        print("not ok 1 - no circle between the files of any part (scripts/circles.py on the build)")
        for line in lines:
            print("# " + line)
    tmp = tempfile.mkdtemp()
    try:
        part = os.path.join(tmp, "libphysmap")
        os.makedirs(part)
        for name, mine, theirs in (("a", "a_calls", "b_calls"), ("b", "b_calls", "a_calls")):
            src = os.path.join(tmp, name + ".c")
            with open(src, "w") as fh:
                fh.write("int %s(int n);\nint %s(int n) { return n ? %s(n - 1) : 0; }\n" % (theirs, mine, theirs))
            subprocess.run(["cc", "-c", src, "-o", os.path.join(part, name + ".o")], check=True)
        planted = run(tmp, script)
        want = ["libphysmap: a.o b.o", "1 circles"]
        if planted == want:
            print("ok 2 - a planted circle (libphysmap's a.o and b.o calling each other) is found")
        else:
            print("not ok 2 - a planted circle (libphysmap's a.o and b.o calling each other) is found")
            print("# expected %r, got %r" % (want, planted))
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

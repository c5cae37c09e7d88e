#!/usr/bin/env python3
"""The virt board against QEMU 7.2 itself, over a grid of machines.

For each configuration QEMU writes its device tree (-M virt-X.Y,dumpdtb=)
and board-dump writes ours with compat = X.Y (and xen = 0: QEMU has no
hypervisor node). Both trees go through `dtc -s` (nodes and properties
sorted) with the random rng-seed/kaslr-seed removed, and must be equal:
memory node, GIC regions, PCIe reg/ranges/bus-range, every device address,
CPUs, interrupts. A configuration QEMU refuses must be refused, with the
same message. Speaks TAP; runs two cases at a time.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

QEMU = "qemu-system-aarch64"
BUILD = os.environ.get("top_builddir", ".")
DUMP = os.path.join(BUILD, "tests", "integration", "board-dump")
DTC = os.environ.get("DTC", "dtc")

GiB = 1 << 30
TiB = 1 << 40


def size_arg(n):
    """bytes as QEMU's and xl's size syntax"""
    for unit, shift in (("T", 40), ("G", 30), ("M", 20)):
        if n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, unit)
    raise ValueError(n)


def cases():
    # (memory, maxmem or None, slots)
    rams = [
        (128 << 20, None, 0),
        (3 * GiB, None, 0),
        (GiB, 255 * GiB, 0),   # device memory ends just below the 256 GiB floor
        (GiB, 256 * GiB, 0),   # ... and just above it
        (GiB, 250 * GiB, 8),   # slots reserve a GiB each: above it again
        (TiB, None, 0),        # RAM alone fills a 40-bit space
        (GiB, 1100 * GiB, 0),  # beyond 40 bits
        (GiB, 15 * TiB, 0),    # the high regions no longer fit 44 bits
        (GiB, 200 * TiB, 2),   # beyond 44 bits, within 48
    ]
    few_vcpus = {2: [1, 2, 8, 9], 3: [1, 4, 123, 124, 8]}
    out = []
    n = 0
    for version in ("2.12", "6.2", "7.2"):
        for cpu in ("cortex-a53", "cortex-a57", "neoverse-n1", "max"):
            for gic in (2, 3):
                for highmem in (1, 0):
                    for mem, maxmem, slots in rams:
                        vcpus = few_vcpus[gic][n % len(few_vcpus[gic])]
                        n += 1
                        out.append((version, cpu, gic, highmem, mem, maxmem, slots, vcpus))
        for gic in (2, 3):
            for highmem in (1, 0):
                for vcpus in (123, 124, 200, 255, 256, 512, 513):
                    out.append((version, "max", gic, highmem, GiB, None, 0, vcpus))
    return out


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def tree(path):
    r = subprocess.run([DTC, "-q", "-s", "-I", "dtb", "-O", "dts", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [l for l in r.stdout.splitlines() if "-seed = " not in l]


def run(case, tmp):
    version, cpu, gic, highmem, mem, maxmem, slots, vcpus = case
    tag = "_".join(str(x) for x in case)
    qdtb = os.path.join(tmp, tag + ".qemu.dtb")
    odtb = os.path.join(tmp, tag + ".ours.dtb")
    m = "-m %s" % size_arg(mem) + (",maxmem=%s" % size_arg(maxmem) if maxmem else "") + \
        (",slots=%d" % slots if slots else "")
    machine = "virt-%s,dumpdtb=%s,gic-version=%d,highmem=%s" % (
        version, qdtb, gic, "on" if highmem else "off")
    qargs = [QEMU, "-nographic", "-cpu", cpu, "-smp", str(vcpus)] + m.split()
    if mem > 8 * GiB:
        # never touched, so never allocated
        qargs += ["-object", "memory-backend-ram,id=ram0,size=%s,reserve=off" % size_arg(mem)]
        machine += ",memory-backend=ram0"
    qargs += ["-M", machine]
    q = subprocess.run(qargs, capture_output=True, text=True, timeout=120)
    oargs = [DUMP, "virt", size_arg(mem), "--vcpus=%d" % vcpus, "compat=" + version,
             "cpu=" + cpu, "gic_version=%d" % gic, "highmem=%d" % highmem, "xen=0",
             "--dtb=" + odtb]
    if maxmem:
        oargs.append("--maxmem=" + size_arg(maxmem))
    if slots:
        oargs.append("slots=%d" % slots)
    o = subprocess.run(oargs, capture_output=True, text=True, timeout=60)
    name = "virt-%s %s gic%d highmem=%d %s -smp %d" % (
        version, cpu, gic, highmem, m, vcpus)
    qemu_ok = os.path.exists(qdtb)
    ours_ok = o.returncode == 0
    if not qemu_ok:
        want = first_line(q.stderr).replace(QEMU + ": ", "", 1)
        got = first_line(o.stdout)
        # ours: "error: KEY: message"
        got_msg = got.split(": ", 2)[-1] if got.startswith("error: ") else ""
        if ours_ok:
            return False, name + " refused as QEMU does", ["QEMU: " + want, "physmap accepted it"]
        if got_msg != want:
            return False, name + " refused as QEMU does", ["QEMU:    " + want, "physmap: " + got]
        return True, name + " refused as QEMU does", []
    if not ours_ok:
        return False, name + " matches QEMU 7.2", ["QEMU accepted it", "physmap: " + first_line(o.stdout)]
    a, b = tree(qdtb), tree(odtb)
    for p in (qdtb, odtb):
        os.unlink(p)
    if a is None or b is None:
        return False, name + " matches QEMU 7.2", ["dtc could not read a tree"]
    if a != b:
        import difflib
        diff = list(difflib.unified_diff(a, b, "qemu", "physmap", n=1, lineterm=""))
        return False, name + " matches QEMU 7.2", diff[:40]
    return True, name + " matches QEMU 7.2", []


def main():
    if not shutil.which(QEMU):
        print("1..0 # Bail out! %s is missing (Debian package qemu-system-arm)" % QEMU)
        return 1
    grid = cases()
    print("1..%d" % len(grid))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        for i, (good, name, detail) in enumerate(pool.map(lambda c: run(c, tmp), grid), 1):
            print("%s %d - %s" % ("ok" if good else "not ok", i, name))
            for line in detail:
                print("#   " + line)
            failed += not good
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

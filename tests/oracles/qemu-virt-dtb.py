#!/usr/bin/env python3
"""QEMU 7.2's virt device tree beside the virt board's, for one machine.

    qemu-virt-dtb.py [--keep DIR] KEY=VALUE...

KEYs are the virt board's (pxl help board virt), plus memory, maxmem and
vcpus as xl.cfg has them and kernel=1 (a stub arm64 Image loaded, as
QEMU's -kernel; without it the tree is the one dumped alone, dumpdtb=).
compat names the QEMU machine, virt-X.Y (default 7.2). For example:

    qemu-virt-dtb.py memory=1G vcpus=124 gic_version=3 compat=6.2
    qemu-virt-dtb.py vcpus=62 gic_version=4 virtualization=1 highmem=0

QEMU writes its tree (-M virt-X.Y,...,dumpdtb=), board-dump writes the
board's (xen = 0: QEMU has no hypervisor node); both go through
`dtc -s` (nodes and properties sorted), random seeds' values masked. Prints
"same tree", or "same refusal: MESSAGE" when both refuse the machine with
QEMU's message, or what differs; exits 0 only when they agree. --keep
writes both trees (.dts) to DIR. The suite's grid
(tests/integration/board-virt-vs-qemu.py) runs this over every option.
"""
import os
import re
import subprocess
import sys
import tempfile

QEMU = "qemu-system-aarch64"
DTC = os.environ.get("DTC", "dtc")

GiB = 1 << 30

# board keys that are QEMU machine options of the same meaning: bool or text
BOOL_OPTS = ("highmem", "its", "secure", "virtualization", "dtb_randomness",
             "default_bus_bypass_iommu")
TEXT_OPTS = ("gic_version", "iommu", "phandle_start")


def board_dump():
    build = os.environ.get("top_builddir", ".")
    return os.path.join(build, "tests", "integration", "board-dump")


def size_bytes(text):
    """xl's and QEMU's size syntax (a bare number is MiB) as bytes"""
    m = re.fullmatch(r"(\d+)([kKmMgGtT]?)", str(text))
    if not m:
        raise ValueError("not a size: %s" % text)
    shift = {"": 20, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(2).lower()]
    return int(m.group(1)) << shift


def size_arg(n):
    for unit, shift in (("T", 40), ("G", 30), ("M", 20)):
        if n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, unit)
    raise ValueError(n)


def on_off(value):
    return "on" if str(value).lower() in ("1", "yes", "true", "on") else "off"


def name(machine):
    """a machine's one-line name, for TAP"""
    m = dict(machine)
    words = ["virt-%s" % m.pop("compat", "7.2")]
    for key in ("cpu", "memory", "maxmem", "slots", "vcpus"):
        if key in m:
            words.append("%s=%s" % (key, m.pop(key)))
    words += ["%s=%s" % kv for kv in sorted(m.items())]
    return " ".join(words)


def stub_kernel(tmp):
    """the smallest arm64 Image QEMU loads: its 64-byte header, then a page"""
    path = os.path.join(tmp, "Image")
    if not os.path.exists(path):
        head = bytearray(64)
        head[0:4] = (0x14000000).to_bytes(4, "little")         # b . (branch to itself)
        head[8:16] = (0x80000).to_bytes(8, "little")           # text_offset
        head[16:24] = (0x10000).to_bytes(8, "little")          # image_size
        head[24:32] = (0xa).to_bytes(8, "little")              # LE, 4K pages, anywhere
        head[56:60] = b"ARM\x64"
        with open(path, "wb") as f:
            f.write(bytes(head) + bytes(4096))
    return path


def qemu_args(m, tmp, dtb):
    mem = size_bytes(m.get("memory", "1G"))
    mem_arg = size_arg(mem)
    if "maxmem" in m:
        mem_arg += ",maxmem=" + size_arg(size_bytes(m["maxmem"]))
    if int(m.get("slots", 0)):
        mem_arg += ",slots=%d" % int(m["slots"])
    opts = ["virt-%s" % m.get("compat", "7.2"), "dumpdtb=" + dtb]
    for key in BOOL_OPTS:
        if key in m:
            opts.append("%s=%s" % (key.replace("_", "-"), on_off(m[key])))
    for key in TEXT_OPTS:
        if key in m:
            opts.append("%s=%s" % (key.replace("_", "-"), m[key]))
    args = [QEMU, "-nographic", "-cpu", m.get("cpu", "max"),
            "-smp", str(m.get("vcpus", 1)), "-m", mem_arg]
    if mem > 8 * GiB:
        # never touched, so never allocated
        args += ["-object", "memory-backend-ram,id=ram0,size=%s,reserve=off" % size_arg(mem)]
        opts.append("memory-backend=ram0")
    if on_off(m.get("kernel", 0)) == "on":
        args += ["-kernel", stub_kernel(tmp)]
    return args + ["-M", ",".join(opts)]


def board_args(m, dtb):
    args = [board_dump(), "virt", size_arg(size_bytes(m.get("memory", "1G"))),
            "--vcpus=%s" % m.get("vcpus", 1), "compat=%s" % m.get("compat", "7.2"),
            "cpu=%s" % m.get("cpu", "max"), "xen=0", "--dtb=" + dtb]
    if "maxmem" in m:
        args.append("--maxmem=" + size_arg(size_bytes(m["maxmem"])))
    if on_off(m.get("kernel", 0)) == "on":
        args.append("--kernel=4096")
    for key, value in m.items():
        if key in BOOL_OPTS or key in TEXT_OPTS or key == "slots":
            args.append("%s=%s" % (key, value))
    return args


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def tree(path):
    """the tree as sorted source, the seeds' random values masked"""
    r = subprocess.run([DTC, "-q", "-s", "-I", "dtb", "-O", "dts", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [re.sub(r"(-seed = ).*", r"\1<random>;", line) for line in r.stdout.splitlines()]


def compare(machine, tmp, keep=None):
    """(agree, detail lines) for one machine: a dict of board keys"""
    tag = re.sub(r"[^A-Za-z0-9.=-]+", "_", name(machine))
    qdtb = os.path.join(tmp, tag + ".qemu.dtb")
    odtb = os.path.join(tmp, tag + ".physmap.dtb")
    q = subprocess.run(qemu_args(machine, tmp, qdtb), capture_output=True, text=True, timeout=120)
    o = subprocess.run(board_args(machine, odtb), capture_output=True, text=True, timeout=60)
    ours_ok = o.returncode == 0
    if not os.path.exists(qdtb):
        want = first_line(q.stderr).replace(QEMU + ": ", "", 1)
        got = first_line(o.stdout)
        got_msg = got.split(": ", 2)[-1] if got.startswith("error: ") else ""   # "error: KEY: message"
        if ours_ok:
            return False, ["QEMU:    " + want, "physmap accepted it"]
        if got_msg != want:
            return False, ["QEMU:    " + want, "physmap: " + got]
        return True, ["same refusal: " + want]
    if not ours_ok:
        return False, ["QEMU accepted it", "physmap: " + first_line(o.stdout)]
    a, b = tree(qdtb), tree(odtb)
    for path in (qdtb, odtb):
        os.unlink(path)
    if a is None or b is None:
        return False, ["dtc could not read a tree"]
    if keep:
        for suffix, lines in (("qemu", a), ("physmap", b)):
            with open(os.path.join(keep, "%s.%s.dts" % (tag, suffix)), "w") as f:
                f.write("\n".join(lines) + "\n")
    if a != b:
        import difflib
        return False, list(difflib.unified_diff(a, b, "qemu", "physmap", n=1, lineterm=""))[:60]
    return True, ["same tree"]


def main(argv):
    keep = None
    if argv[:1] == ["--keep"] and len(argv) > 1:
        keep, argv = argv[1], argv[2:]
        os.makedirs(keep, exist_ok=True)
    machine = {}
    for arg in argv:
        key, eq, value = arg.partition("=")
        if not eq:
            print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
            return 2
        machine[key] = value
    with tempfile.TemporaryDirectory() as tmp:
        agree, detail = compare(machine, tmp, keep)
    print(name(machine))
    for line in detail:
        print(line)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Print QEMU 7.2's own E820 for a PC machine, without booting anything.

    qemu-pc-e820.py MACHINE MEMORY [QEMU-ARGS...]

QEMU starts with its vCPU stopped (-S) and a qtest server on stdio; the
script selects fw_cfg's file directory through the selector port 0x510,
reads it byte by byte from the data port 0x511, finds etc/e820 and reads
its 20-byte entries (addr, length, type; little endian). Output: the
entries sorted, in Linux's boot format, or "error: MESSAGE" when QEMU
refuses the machine (its message without the program name).
"""
import struct
import subprocess
import sys

NAMES = {1: "usable", 2: "reserved", 3: "ACPI data", 4: "ACPI NVS", 5: "unusable"}


def main():
    machine, memory, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    cmd = ["qemu-system-x86_64", "-M", machine, "-m", memory, "-accel", "tcg",
           "-S", "-display", "none", "-nodefaults", "-qtest", "stdio",
           "-qtest-log", "/dev/null"] + extra
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)

    def ask(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()
        while True:
            reply = p.stdout.readline()
            if not reply:
                err = p.stderr.read().strip().splitlines()
                msg = err[-1] if err else "qemu exited"
                msg = msg.split(": ", 1)[1] if msg.startswith("qemu-system") else msg
                print("error: " + msg)
                sys.exit(0)
            if reply.startswith("OK") or reply.startswith("FAIL"):
                return reply.split()

    def read(n):
        return bytes(int(ask("inb 0x511")[1], 16) for _ in range(n))

    ask("outw 0x510 0x19")
    files = {}
    for _ in range(struct.unpack(">I", read(4))[0]):
        size, select, _reserved, name = struct.unpack(">IHH56s", read(64))
        files[name.rstrip(b"\0").decode()] = (size, select)
    size, select = files["etc/e820"]
    ask("outw 0x510 %#x" % select)
    data = read(size)
    p.stdin.close()
    p.kill()
    entries = sorted(struct.unpack("<QQI", data[i:i + 20]) for i in range(0, size, 20))
    for addr, length, kind in entries:
        print("BIOS-e820: [mem 0x%016x-0x%016x] %s" %
              (addr, addr + length - 1, NAMES.get(kind, "type %d" % kind)))


if __name__ == "__main__":
    main()

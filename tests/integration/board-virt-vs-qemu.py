#!/usr/bin/env python3
"""The virt board against QEMU 7.2 itself, over a grid of machines.

Each machine is compared by tests/oracles/qemu-virt-dtb.py: QEMU writes
its device tree (-M virt-X.Y,...,dumpdtb=), board-dump writes ours with
compat = X.Y, and both sorted trees must be equal (memory, GIC regions,
PCIe, every device address, CPUs, interrupts, phandles); a machine QEMU
refuses must be refused with QEMU's message. The grid covers every option
of `-M virt` that changes the map or the tree: the RAM and device-memory
edges of the high regions for each PA size, vCPU counts at every capacity
edge of each GIC version (GICv2 8/9; GICv3 123/124, 512/513; GICv4
61/62, 317/318) with highmem on and off, gic-version 2, 3, 4, max and
host, its, iommu=smmuv3 with and without default-bus-bypass-iommu,
secure, virtualization, dtb-randomness, phandle-start, a kernel loaded or
not, and every machine version from virt-2.6 to virt-7.2. Speaks TAP;
one machine at a time (make check runs other suites beside it, and some
of them time their guests: two QEMUs at once on a 2-core host starved
them).
"""
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "oracles", "qemu-virt-dtb.py")

VERSIONS = ["2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1",
            "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1", "6.2",
            "7.0", "7.1", "7.2"]


def load_oracle():
    loader = importlib.machinery.SourceFileLoader("qemu_virt_dtb", ORACLE)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def memory_grid():
    """RAM and device memory against the high regions, per CPU (PA size) and GIC"""
    rams = [  # (memory, maxmem or None, slots)
        ("128M", None, 0),
        ("3G", None, 0),
        ("1G", "255G", 0),    # device memory ends just below the 256 GiB floor
        ("1G", "256G", 0),    # ... and just above it
        ("1G", "250G", 8),    # slots reserve a GiB each: above it again
        ("1T", None, 0),      # RAM alone fills a 40-bit space
        ("1G", "1100G", 0),   # beyond 40 bits
        ("1G", "15T", 0),     # the high regions no longer fit 44 bits
        ("1G", "200T", 2),    # beyond 44 bits, within 48
    ]
    few_vcpus = {2: [1, 2, 8, 9], 3: [1, 4, 123, 124, 8]}
    n = 0
    for version in ("2.12", "6.2", "7.2"):
        for cpu in ("cortex-a53", "cortex-a57", "neoverse-n1", "max"):
            for gic in (2, 3):
                for highmem in (1, 0):
                    for mem, maxmem, slots in rams:
                        m = {"compat": version, "cpu": cpu, "gic_version": gic,
                             "highmem": highmem, "memory": mem,
                             "vcpus": few_vcpus[gic][n % len(few_vcpus[gic])]}
                        n += 1
                        if maxmem:
                            m["maxmem"] = maxmem
                        if slots:
                            m["slots"] = slots
                        yield m


def gic_grid():
    """each GIC version at its capacity edges, EL2 on and off, highmem on and off"""
    edges = {"2": [8, 9], "3": [123, 124, 200, 255, 256, 512, 513],
             "4": [61, 62, 124, 317, 318], "max": [61, 62, 124, 317, 318], "host": [1]}
    for version in ("6.2", "7.2"):
        for gic, counts in edges.items():
            for virtualization in (0, 1):
                for highmem in (1, 0):
                    for vcpus in counts:
                        yield {"compat": version, "gic_version": gic, "vcpus": vcpus,
                               "virtualization": virtualization, "highmem": highmem}
    for vcpus in (254, 255, 256):   # virt-2.12 and older take 255 at most
        yield {"compat": "2.12", "gic_version": 3, "vcpus": vcpus}


def option_grid():
    """the options that add or change nodes, alone and together"""
    for version in ("6.1", "7.2"):
        for gic in (2, 3):
            for its in (0, 1):
                for iommu in ("none", "smmuv3"):
                    for bypass in (0, 1):
                        m = {"compat": version, "gic_version": gic, "iommu": iommu,
                             "default_bus_bypass_iommu": bypass, "vcpus": 2}
                        if its == 0 or version == "7.2":   # 6.1 has no ITS to turn on
                            m["its"] = its
                        yield m
    for gic in (2, 3):
        for secure in (0, 1):
            for virtualization in (0, 1):
                for kernel in (0, 1):
                    yield {"gic_version": gic, "secure": secure, "virtualization": virtualization,
                           "kernel": kernel, "vcpus": 4}
    for secure in (0, 1):
        for randomness in (0, 1):
            yield {"secure": secure, "dtb_randomness": randomness}
    for start in ("0", "1", "0x100", "0xfffff000"):
        yield {"phandle_start": start, "gic_version": 3, "vcpus": 3, "iommu": "smmuv3", "secure": 1}


def version_grid():
    """every machine version: what its compat flags change (PMU, ITS, timers, clusters, secure GPIO, topology)"""
    for version in VERSIONS:
        yield {"compat": version, "gic_version": 2, "vcpus": 2}
        yield {"compat": version, "gic_version": 2, "vcpus": 9}
        yield {"compat": version, "gic_version": 3, "vcpus": 20}
        yield {"compat": version, "gic_version": 3, "vcpus": 124}
        yield {"compat": version, "gic_version": 3, "vcpus": 2, "secure": 1, "iommu": "smmuv3"}
        yield {"compat": version, "gic_version": "max", "vcpus": 62, "virtualization": 1}
        yield {"compat": version, "gic_version": 2, "vcpus": 3, "secure": 1, "virtualization": 1,
               "kernel": 1}
        yield {"compat": version, "gic_version": 3, "its": 0, "memory": "2G", "maxmem": "4G",
               "slots": 2}
        yield {"compat": version, "gic_version": 2, "vcpus": 3, "memory": "1G", "maxmem": "3G"}


def main():
    if not shutil.which("qemu-system-aarch64"):
        print("1..0 # Bail out! qemu-system-aarch64 is missing (Debian package qemu-system-arm)")
        return 1
    oracle = load_oracle()
    grid = list(memory_grid()) + list(gic_grid()) + list(option_grid()) + list(version_grid())
    print("1..%d" % len(grid))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=1) as pool:
        def one(machine):
            try:
                return oracle.compare(machine, tmp)
            except (OSError, subprocess.SubprocessError) as e:   # a tool missing or hung: this machine fails
                return False, ["%s: %s" % (type(e).__name__, e)]

        results = pool.map(one, grid)
        for i, (machine, (agree, detail)) in enumerate(zip(grid, results), 1):
            refused = detail and detail[0].startswith("same refusal")
            what = "refused as QEMU does" if refused else "matches QEMU 7.2"
            print("%s %d - %s %s" % ("ok" if agree else "not ok", i, oracle.name(machine), what))
            if not agree:
                for line in detail:
                    print("#   " + line)
            failed += not agree
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

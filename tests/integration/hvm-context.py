#!/usr/bin/env python3
# hvm-context.py FILE - the Xen HVM save records in a saved pc guest's
# HVM_CONTEXT (docs/specs/stream.md), one line each: "CODE INSTANCE
# LENGTH" and, for those a test asks about, a field: CPU's rip and tsc,
# LAPIC's APIC base, LAPIC_REGS's spurious-vector register, MTRR's PAT,
# CPU_XSAVE's XCR0. Layouts: <xen/arch-x86/hvm/save.h>.
import struct
import sys

NAMES = {1: 'HEADER', 2: 'CPU', 5: 'LAPIC', 6: 'LAPIC_REGS', 14: 'MTRR', 16: 'CPU_XSAVE', 0: 'END'}
d = open(sys.argv[1], 'rb').read()
# the xl header (magic 32, byteorder, mandatory, optional, json length), its json, the libxl header
p = 48 + struct.unpack('<I', d[44:48])[0] + 16
t, l = struct.unpack('<II', d[p:p + 8])
p += 8 + ((l + 7) & ~7) + 24          # the libxl record before the libxc stream, the libxc header
while True:
    t, l = struct.unpack('<II', d[p:p + 8])
    if t == 0x09:                     # HVM_CONTEXT
        body = d[p + 8:p + 8 + l]
        break
    if t == 0:
        sys.exit('no HVM_CONTEXT record')
    p += 8 + ((l + 7) & ~7)
q = 0
while q + 8 <= len(body):
    code, inst, length = struct.unpack('<HHI', body[q:q + 8])
    r = body[q + 8:q + 8 + length]
    name = NAMES.get(code, str(code))
    extra = ''
    if name == 'CPU':
        # offsets in Xen 4.17's struct hvm_hw_cpu (1032 bytes): rip at 640, tsc at 1008
        rip = struct.unpack('<Q', r[640:648])[0]
        tsc = struct.unpack('<Q', r[1008:1016])[0]
        extra = ' rip=0x%x tsc=%d' % (rip, tsc)
    elif name == 'LAPIC':
        extra = ' base=0x%x' % struct.unpack('<Q', r[0:8])[0]
    elif name == 'LAPIC_REGS':
        extra = ' svr=0x%x' % struct.unpack('<I', r[0xf0:0xf4])[0]
    elif name == 'MTRR':
        extra = ' pat=0x%x' % struct.unpack('<Q', r[0:8])[0]
    elif name == 'CPU_XSAVE':
        extra = ' xcr0=0x%x' % struct.unpack('<Q', r[8:16])[0]
    print('%s %d %d%s' % (name, inst, length, extra))
    if code == 0:
        break
    q += 8 + length

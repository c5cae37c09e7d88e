#!/usr/bin/env python3
"""tests/oracles/xen-core-diff.py - two cores in Xen's dump-core format
(docs/misc/dump-core-format.txt of Xen), compared as a reader sees them:
by section and by pfn, not byte offset (two writers may hold different
sets of pages, in different places).

    xen-core-diff.py A B

prints one line of words:
    sections=same|A:...|B:...   the section names, in file order
    head=same|differs           the ELF header's identity (class, type, machine)
    notes=same|differs          .note.Xen
    prstatus=same|differs       the vCPU contexts
    shinfo=same|differs|none    .xen_shared_info
    pages=N                     pages whose pfn both hold
    differ=N                    ... whose bytes differ
    onlyA=pfn,... onlyB=pfn,... the pfns one holds and the other not
    frames=same|differs         for .xen_p2m: each common pfn's machine frame
"""
import struct
import sys


def sections(path):
    with open(path, 'rb') as f:
        data = f.read(64)
        ident, machine = data[:16], struct.unpack_from('<H', data, 18)[0]
        shoff, = struct.unpack_from('<Q', data, 40)
        shnum, shstrndx = struct.unpack_from('<HH', data, 60)
        f.seek(shoff)
        raw = f.read(shnum * 64)
        hdrs = [struct.unpack_from('<IIQQQQIIQQ', raw, i * 64) for i in range(shnum)]
        f.seek(hdrs[shstrndx][4])
        names = f.read(hdrs[shstrndx][5])
    out = {}
    order = []
    for h in hdrs[1:]:
        name = names[h[0]:names.index(b'\0', h[0])].decode()
        out[name] = (h[4], h[5])
        order.append(name)
    return (ident[4], ident[5], machine), order, out


def read(path, where):
    off, size = where
    with open(path, 'rb') as f:
        f.seek(off)
        return f.read(size)


def pages(path, secs):
    """{pfn: (index, frame or None)}"""
    if '.xen_pfn' in secs:
        raw = read(path, secs['.xen_pfn'])
        pfns = struct.unpack('<%dQ' % (len(raw) // 8), raw)
        return {p: (i, None) for i, p in enumerate(pfns)}
    raw = read(path, secs['.xen_p2m'])
    pairs = struct.unpack('<%dQ' % (len(raw) // 8), raw)
    return {pairs[i]: (i // 2, pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i] != 2**64 - 1}


def main():
    a, b = sys.argv[1], sys.argv[2]
    ha, oa, sa = sections(a)
    hb, ob, sb = sections(b)
    words = ['sections=' + ('same' if oa == ob else 'A:%s|B:%s' % (','.join(oa), ','.join(ob)))]
    words.append('head=' + ('same' if ha == hb else 'differs'))
    for key, sec in (('notes', '.note.Xen'), ('prstatus', '.xen_prstatus'), ('shinfo', '.xen_shared_info')):
        if sec not in sa and sec not in sb:
            words.append(key + '=none')
        elif sec not in sa or sec not in sb:
            words.append(key + '=differs')
        else:
            words.append(key + '=' + ('same' if read(a, sa[sec]) == read(b, sb[sec]) else 'differs'))
    pa, pb = pages(a, sa), pages(b, sb)
    common = sorted(set(pa) & set(pb))
    differ = 0
    frames = True
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        for pfn in common:
            fa.seek(sa['.xen_pages'][0] + pa[pfn][0] * 4096)
            fb.seek(sb['.xen_pages'][0] + pb[pfn][0] * 4096)
            if fa.read(4096) != fb.read(4096):
                differ += 1
            frames = frames and pa[pfn][1] == pb[pfn][1]
    words.append('pages=%d' % len(common))
    words.append('differ=%d' % differ)
    words.append('onlyA=' + (','.join('%#x' % p for p in sorted(set(pa) - set(pb))[:8]) or '-'))
    words.append('onlyB=' + (','.join('%#x' % p for p in sorted(set(pb) - set(pa))[:8]) or '-'))
    words.append('frames=' + ('same' if frames else 'differs'))
    print(' '.join(words))


if __name__ == '__main__':
    main()

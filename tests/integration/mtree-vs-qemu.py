#!/usr/bin/env python3
"""mtree-vs-qemu.py - physmap-dm's flat views against QEMU 7.2's own.

For each machine (pc, q35, virt at a few RAM sizes): ask QEMU (through QMP's
human-monitor-command) for `info mtree -D` and `info mtree -f`, convert the
hierarchy to the region-tree JSON with qemu-mtree-to-json.py, load it with
`physmap-dm --load FILE --mtree -f`, and compare the flat view of every
address space range by range (start, end, region name, offset, type,
priority). Also checks that the JSON hierarchy physmap-dm writes back
loads again to the same flat views. Prints TAP.

usage: mtree-vs-qemu.py [PHYSMAP-DM SRCDIR]   (default: from top_builddir and
top_srcdir in the environment, as make check sets them)
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

MACHINES = [
    ('x86_64', 'pc', '512M'), ('x86_64', 'pc', '3584M'), ('x86_64', 'pc', '5G'),
    ('x86_64', 'q35', '512M'), ('x86_64', 'q35', '4G'),
    ('aarch64', 'virt', '512M'), ('aarch64', 'virt', '4G'),
    ('aarch64', 'virt,gic-version=3,secure=on', '2G'), ('aarch64', 'virt-2.12', '1G'),
]

FLAT = re.compile(r'^  ([0-9a-f]{16})-([0-9a-f]{16}) \(prio (-?\d+), ([a-z/ -]+)\): (.*?)(?: @([0-9a-f]{16}))?$')


def load_converter(srcdir):
    path = os.path.join(srcdir, 'tests', 'integration', 'qemu-mtree-to-json.py')
    spec = importlib.util.spec_from_file_location('qemu_mtree_to_json', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def qemu_mtree(arch, machine, mem):
    cmds = [{'execute': 'qmp_capabilities'}]
    for args in ('info mtree -D', 'info mtree -f'):
        cmds.append({'execute': 'human-monitor-command', 'arguments': {'command-line': args}})
    cmds.append({'execute': 'quit'})
    p = subprocess.run(['qemu-system-' + arch, '-M', machine, '-m', mem, '-S', '-display', 'none',
                        '-nodefaults', '-qmp', 'stdio'],
                       input=''.join(json.dumps(c) + '\n' for c in cmds), capture_output=True,
                       text=True, timeout=120)
    outs = []
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg.get('return'), str):
            outs.append(msg['return'])
    if len(outs) != 2:
        raise RuntimeError('qemu-system-%s -M %s: no mtree output (%s)' % (arch, machine, p.stderr.strip()))
    return outs[0].replace('\r', ''), outs[1].replace('\r', '')


def flat_by_as(text):
    """{as name: [(start, last, prio, type, name, offset)]}"""
    views, names, cur = {}, [], None
    for line in text.splitlines():
        if line.startswith('FlatView #'):
            names, cur = [], []
            continue
        m = re.match(r'^ AS "(.*)", root: ', line)
        if m:
            names.append(m.group(1))
            views[m.group(1)] = cur
            continue
        m = FLAT.match(line)
        if m and cur is not None:
            cur.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)), m.group(4),
                        m.group(5), int(m.group(6) or '0', 16)))
    return views


def dm_mtree(dm, path, *opts):
    """physmap-dm --load PATH --mtree OPTS, its standard output"""
    p = subprocess.run([dm, '--load', path, '--mtree'] + list(opts), capture_output=True, text=True,
                       timeout=120)
    if p.returncode:
        raise RuntimeError('physmap-dm --load %s --mtree %s: %s' % (path, ' '.join(opts), p.stderr.strip()))
    return p.stdout


def fmt(r):
    return '%016x-%016x (prio %d, %s): %s @%x' % r


def compare(qv, ov):
    """a list of differences, empty if the views agree"""
    diffs = []
    for name in sorted(qv):
        q, o = qv[name], ov.get(name)
        if o is None:
            diffs.append('AS %s: missing from physmap-dm' % name)
            continue
        for i in range(max(len(q), len(o))):
            a = q[i] if i < len(q) else None
            b = o[i] if i < len(o) else None
            if a != b:
                diffs.append('AS %s range %d: qemu %s, physmap-dm %s' %
                             (name, i, fmt(a) if a else '(none)', fmt(b) if b else '(none)'))
                break
    for name in ov:
        if name not in qv:
            diffs.append('AS %s: not in QEMU' % name)
    return diffs


def main():
    if len(sys.argv) == 3:
        dm, srcdir = sys.argv[1], sys.argv[2]
    else:
        dm = os.path.join(os.environ.get('top_builddir', '.'), 'physmap-dm')
        srcdir = os.environ.get('top_srcdir', '.')
    conv = load_converter(srcdir)
    print('1..%d' % (2 * len(MACHINES)))
    n = 0
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for arch, machine, mem in MACHINES:
            label = '%s -M %s -m %s' % (arch, machine, mem)
            try:
                mtree_d, mtree_f = qemu_mtree(arch, machine, mem)
                tree = conv.convert(mtree_d, mtree_f)
                path = os.path.join(tmp, 'tree.json')
                with open(path, 'w') as f:
                    json.dump(tree, f)
                qv = flat_by_as(mtree_f)
                ov = flat_by_as(dm_mtree(dm, path, '-f'))
                diffs = compare(qv, ov)
                ranges = sum(len(v) for v in qv.values())
                if not qv or ranges == 0:
                    diffs.append('QEMU printed no flat ranges')
                # the hierarchy physmap-dm writes back renders the same
                back = os.path.join(tmp, 'back.json')
                with open(back, 'w') as f:
                    f.write(dm_mtree(dm, path, '--json'))
                diffs2 = compare(ov, flat_by_as(dm_mtree(dm, back, '-f')))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                diffs = diffs2 = [str(e)]
                qv, ranges = {}, 0
            for what, ds in (("flat views as QEMU's (%d address spaces, %d ranges)" % (len(qv), ranges), diffs),
                             ('JSON hierarchy round trip', diffs2)):
                n += 1
                failed += bool(ds)
                print('%s %d - %s: %s' % ('not ok' if ds else 'ok', n, label, what))
                for d in ds[:10]:
                    print('#   ' + d)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

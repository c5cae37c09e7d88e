#!/usr/bin/env python3
"""qemu-mtree-to-json.py - convert QEMU's `info mtree -D` into physmap-dm's
region-tree JSON (docs/specs/region-tree.md).

usage: qemu-mtree-to-json.py MTREE-D.txt MTREE-F.txt > tree.json

QEMU's hierarchy text gives every region's absolute range, priority, type
("ram", "rom", "romd", "i/o"), alias target and window, and [disabled].
It does not tell a container from an I/O region: both print "i/o". Only an
I/O region is ever rendered, so a region named in QEMU's own flat views
(`info mtree -f`, the second file) is taken as I/O ("mmio") and any other
"i/o" region as a container. That borrows one bit per name from the
oracle; everything the comparison checks (clipping, priorities, alias
windows, gaps filled by I/O regions with subregions, merging) still comes
from the hierarchy alone.

Each printed node becomes its own region (QEMU prints a region once per
place it appears); an alias target "@NAME" is the root of the
"memory-region: NAME" section if there is one, else the first node called
NAME.
"""
import json
import re
import sys

LINE = re.compile(r'^( +)([0-9a-f]{16})-([0-9a-f]{16}) \(prio (-?\d+), ([a-z/ -]+)\): (.*)$')
ALIAS = re.compile(r'^alias (.*) @(.*) ([0-9a-f]{16})-([0-9a-f]{16})$')
FLAT = re.compile(r'^  ([0-9a-f]{16})-([0-9a-f]{16}) \(prio (-?\d+), ([a-z/ -]+)\): (.*?)(?: @([0-9a-f]{16}))?$')


def flat_names(text):
    names = set()
    for line in text.splitlines():
        m = FLAT.match(line)
        if m:
            names.add(m.group(5))
    return names


def parse_sections(text):
    """[(kind, [names], [nodes])]: kind 'as' or 'mr'; nodes are dicts with
    depth, start, last, prio, type, name, disabled, alias (name, off, last)"""
    sections = []
    cur = None
    for raw in text.splitlines():
        line = raw.rstrip('\r')
        if line.startswith('address-space: '):
            name = line[len('address-space: '):]
            if cur and cur[0] == 'as' and not cur[2]:
                cur[1].append(name)
            else:
                cur = ('as', [name], [])
                sections.append(cur)
            continue
        if line.startswith('memory-region: '):
            cur = ('mr', [line[len('memory-region: '):]], [])
            sections.append(cur)
            continue
        m = LINE.match(line)
        if not m or cur is None:
            continue
        rest = m.group(6)
        disabled = rest.endswith(' [disabled]')
        if disabled:
            rest = rest[:-len(' [disabled]')]
        node = {'depth': len(m.group(1)) // 2, 'start': int(m.group(2), 16),
                'last': int(m.group(3), 16), 'prio': int(m.group(4)),
                'type': m.group(5), 'disabled': disabled, 'alias': None, 'children': []}
        a = ALIAS.match(rest)
        if a:
            node['name'] = a.group(1)
            node['alias'] = (a.group(2), int(a.group(3), 16), int(a.group(4), 16))
        else:
            node['name'] = rest
        cur[2].append(node)
    return sections


def build_trees(nodes):
    """link nodes into trees by depth; returns the roots"""
    roots, stack = [], []
    for n in nodes:
        while stack and stack[-1]['depth'] >= n['depth']:
            stack.pop()
        if stack:
            stack[-1]['children'].append(n)
        else:
            roots.append(n)
        stack.append(n)
    return roots


def convert(mtree_d, mtree_f):
    mmio_names = flat_names(mtree_f)
    sections = parse_sections(mtree_d)
    regions = {}
    counter = [0]
    by_name = {}          # first node of each name
    section_root = {}     # memory-region: NAME -> its root node

    def walk(n):
        n['id'] = 'r%d' % counter[0]
        counter[0] += 1
        by_name.setdefault(n['name'], n)
        for c in n['children']:
            walk(c)

    all_roots = []
    for kind, names, nodes in sections:
        roots = build_trees(nodes)
        for r in roots:
            walk(r)
        all_roots.append((kind, names, roots))
        if kind == 'mr' and roots:
            section_root[names[0]] = roots[0]

    def emit(n):
        size = n['last'] - n['start'] + 1
        r = {'name': n['name'], 'size': hex(size)}
        if n['alias']:
            target, off, _ = n['alias']
            t = section_root.get(target) or by_name.get(target)
            if t is None:
                raise SystemExit('alias %s: no region called %s' % (n['name'], target))
            r['kind'] = 'alias'
            r['target'] = t['id']
            r['offset'] = hex(off)
        elif n['type'] in ('ram', 'ram device', 'ramd'):
            r['kind'] = 'ram'
        elif n['type'] == 'rom':
            r['kind'] = 'rom'
        elif n['type'] == 'romd':
            r['kind'] = 'romd'
        else:
            r['kind'] = 'mmio' if n['name'] in mmio_names else 'container'
        if n['disabled']:
            r['enabled'] = False
        if n['children']:
            # QEMU prints equal-address siblings higher priority first, and
            # among equal priorities in rendering order (later-added first);
            # list them in the order to add them: the reverse
            subs = []
            for c in reversed(n['children']):
                subs.append({'region': c['id'], 'addr': hex((c['start'] - n['start']) % (1 << 64)),
                             'priority': c['prio']})
            r['subregions'] = subs
        regions[n['id']] = r
        for c in n['children']:
            emit(c)

    spaces = []
    for kind, names, roots in all_roots:
        for r in roots:
            emit(r)
        if kind == 'as':
            for name in names:
                if roots:
                    spaces.append({'name': name, 'root': roots[0]['id']})
    return {'regions': regions, 'address_spaces': spaces}


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: qemu-mtree-to-json.py MTREE-D.txt MTREE-F.txt')
    with open(sys.argv[1]) as f:
        d = f.read()
    with open(sys.argv[2]) as f:
        fl = f.read()
    json.dump(convert(d, fl), sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()

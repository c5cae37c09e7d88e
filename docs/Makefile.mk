# documentation
EXTRA_DIST += docs/HACKING.md docs/guests.md docs/p2m.md docs/xtf.md \
	docs/specs/sim-protocol.md docs/specs/region-tree.md docs/specs/xenstore.md docs/specs/stream.md docs/specs/devices.md \
	docs/specs/lifecycle.md docs/specs/dump-core.md docs/xl-cfg-keys.md \
	docs/examples/sizes.c docs/examples/p2m-tour.c docs/examples/virt.cfg docs/examples/pc.cfg

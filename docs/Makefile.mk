# documentation
EXTRA_DIST += docs/HACKING.md docs/examples/sizes.c

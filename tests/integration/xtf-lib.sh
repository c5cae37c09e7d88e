# tests/integration/xtf-lib.sh - the Xen Test Framework's HVM images, for
# the suites that boot them (xtf-sim.sh on the simulator, xtf-xen.sh on
# real Xen); sourced after tests/tap.sh, with S and B set.
#
# The source is $XTF_SRC, else ../shared/third-party/xtf beside the source
# tree, else the workplace's /work/shared copy; built once, unmodified, into
# $PHYSMAP_XTF_CACHE (default ~/.cache/physmap-xtf) under a digest of the
# source. Without a source the suite is not run and says so by name
# (skip_all). Sets XTF_IMAGES: the hvm32 and hvm64 test images, sorted.
xtf_src=${XTF_SRC:-}
for d in "$(cd "$S/.." && pwd)/shared/third-party/xtf" /work/shared/third-party/xtf; do
	[ -n "$xtf_src" ] || { [ -f "$d/Makefile" ] && xtf_src=$d; }
done
[ -f "$xtf_src/Makefile" ] || skip_all "no XTF source (XTF_SRC, ../shared/third-party/xtf)"
xtf_digest=$(cd "$xtf_src" && find . -type f ! -name '*.o' ! -name '*.d' -print0 | LC_ALL=C sort -z |
	xargs -0 md5sum | md5sum | cut -c1-12)
xtf_cache=${PHYSMAP_XTF_CACHE:-$HOME/.cache/physmap-xtf}/$xtf_digest
if [ ! -f "$xtf_cache/.built" ]; then
	xtf_log=$(mktemp)
	rm -rf "$xtf_cache"
	mkdir -p "$xtf_cache" && cp -r "$xtf_src/." "$xtf_cache/" && make -C "$xtf_cache" -j2 >"$xtf_log" 2>&1 ||
		bail "building XTF from $xtf_src failed: $(tail -n 3 "$xtf_log" | tr '\n' ' ')"
	rm -f "$xtf_log"
	touch "$xtf_cache/.built"
fi
XTF_IMAGES=$(find "$xtf_cache/tests" -name 'test-hvm32-*' -o -name 'test-hvm64-*' | grep -v '\.cfg$' | LC_ALL=C sort)
[ -n "$XTF_IMAGES" ] || bail "no hvm32 or hvm64 image in $xtf_cache/tests"

# the Xen column of docs/xtf.md: "NAME RESULT" per image, as real Xen ran it
xtf_xen_recorded() {
	sed -n 's/^| *\(test-hvm[0-9]*-[^ |]*\) *| *\([^|]*[^ |]\) *|.*/\1 \2/p' "$S/docs/xtf.md"
}

# the vCPUs XTF's own config for an image asks (its last vcpus line), else 1
xtf_vcpus() {
	sed -n 's/^vcpus *= *\([0-9]*\).*/\1/p' "$1.cfg" 2>/dev/null | tail -n 1 | grep . || echo 1
}

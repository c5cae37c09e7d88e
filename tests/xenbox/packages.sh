# tests/xenbox/packages.sh - Debian packages for the boxes, fetched with
# `apt-get download` (nothing is installed on the host) and unpacked into
# one root (sourced by xenbox.sh and xenbox-arm.sh; they define say).
#
#   box_fetch DIR ROOT PACKAGE...   each PACKAGE (pkg or pkg:arch) fetched
#                                   into DIR once and unpacked into ROOT
#                                   once (DIR/NAME.extracted marks it)
box_fetch() {
	local dir=$1 root=$2 p name deb
	shift 2
	mkdir -p "$dir" "$root"
	for p in "$@"; do
		name=${p%%:*}
		[ -e "$dir/$name.extracted" ] && continue
		deb=$(ls "$dir"/"${name}"_*.deb 2>/dev/null | head -1 || true)
		if [ -z "$deb" ]; then
			say "fetching $p"
			(cd "$dir" && apt-get download "$p" >/dev/null 2>&1) || { say "apt-get download $p failed"; return 1; }
			deb=$(ls "$dir"/"${name}"_*.deb | head -1)
		fi
		dpkg-deb -x "$deb" "$root"
		touch "$dir/$name.extracted"
	done
}

#!/bin/bash
# configure without one dependency fails and names the Debian package that
# provides it. Each dependency is hidden in turn: pkg-config modules by a
# pkg-config directory that lacks their .pc file, header/library/program
# checks by presetting configure's cache variable to "no".
. "$top_srcdir/tests/tap.sh"
need_tool pkg-config pkg-config

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# module:package pairs, in the order configure checks them
pkgs="liburcu-bp:liburcu-dev yajl:libyajl-dev xencontrol:libxen-dev
xenstore:libxen-dev xlutil:libxen-dev xenguest:libxen-dev
xenforeignmemory:libxen-dev xendevicemodel:libxen-dev xenevtchn:libxen-dev
unicorn:libunicorn-dev cmocka:libcmocka-dev"
# cache-variable:package pairs
cached="ac_cv_header_libfdt_h:libfdt-dev ac_cv_lib_fdt_fdt_create:libfdt-dev
ac_cv_header_xen_xen_h:libxen-dev ac_cv_path_DTC:device-tree-compiler
ac_cv_path_PYTHON3:python3"

plan $(( $(echo $pkgs | wc -w) + $(echo $cached | wc -w) ))

# a pkg-config directory mirroring every .pc file the system has
all="$work/pc-all"
mkdir -p "$all"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	[ -d "$d" ] && find "$d" -maxdepth 1 -name '*.pc' -exec ln -sf {} "$all/" \;
done
for pair in $pkgs; do
	[ -e "$all/${pair%%:*}.pc" ] || bail "${pair%%:*}.pc not found; install ${pair#*:}"
done

run_configure() {
	# $1: build directory; rest: extra environment for configure
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && env "$@" "$top_srcdir/configure" --quiet >out 2>&1)
	echo $?
}

for pair in $pkgs; do
	mod=${pair%%:*}
	deb=${pair#*:}
	dir="$work/pc-no-$mod"
	mkdir -p "$dir"
	cp -P "$all"/*.pc "$dir/"
	rm -f "$dir/$mod.pc"
	rc=$(run_configure "$work/build-$mod" PKG_CONFIG_LIBDIR="$dir" PKG_CONFIG_PATH=)
	if [ "$rc" != 0 ] && grep -q "error: .*install the Debian package '$deb'" "$work/build-$mod/out"; then
		ok "configure without $mod names $deb"
	else
		fail "configure without $mod names $deb" "rc=$rc: $(tail -n 1 "$work/build-$mod/out")"
	fi
done

for pair in $cached; do
	var=${pair%%:*}
	deb=${pair#*:}
	rc=$(run_configure "$work/build-$var" "$var=no")
	if [ "$rc" != 0 ] && grep -q "error: .*install the Debian package '$deb'" "$work/build-$var/out"; then
		ok "configure with $var=no names $deb"
	else
		fail "configure with $var=no names $deb" "rc=$rc: $(tail -n 1 "$work/build-$var/out")"
	fi
done

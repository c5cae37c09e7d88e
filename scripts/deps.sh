# scripts/deps.sh - the Debian 12 packages physmap needs, in one list.
# Sourced by scripts/demo and scripts/test; configure.ac names the same
# packages when a check fails.

# To build the project.
PM_BUILD_PKGS="build-essential autoconf automake libtool pkg-config
libxen-dev libyajl-dev libfdt-dev device-tree-compiler liburcu-dev liblzma-dev zlib1g-dev
libunicorn-dev libcmocka-dev python3"

# What the demo runs besides the project: Xen's xenstore clients, and the
# cross compiler that builds the arm64 test guest it boots.
PM_DEMO_PKGS="xenstore-utils xen-utils-4.17 gcc-aarch64-linux-gnu qemu-system-x86 cpio"

# Peers the tests use as oracles or to build test guests.
PM_TEST_PKGS="binutils gcc-aarch64-linux-gnu xenstore-utils xen-utils-4.17
qemu-system-arm qemu-system-x86 clang cpio openssh-client openssh-server acpica-tools
python3-libkdumpfile crash iputils-ping librsvg2-bin debhelper lintian"

# pm_install_missing PKG...: install those of PKG that are not installed,
# saying which; nothing is touched when all are present. Needs root or sudo.
pm_install_missing() {
	local missing=() p sudo=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "deps: all $# Debian packages present"
		return 0
	fi
	echo "deps: installing missing Debian packages: ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "deps: not root and no sudo: install ${missing[*]} yourself" >&2; return 1; }
		sudo=sudo
	fi
	$sudo apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; return 1; }
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" </dev/null >/dev/null ||
		{ echo "deps: apt-get install ${missing[*]} failed" >&2; return 1; }
	echo "deps: installed ${missing[*]}"
}

# pm_configure BUILDDIR CONFIGURE-ARGS...: bootstrap the source tree if it
# has no configure script yet, then configure BUILDDIR (created if needed).
pm_configure() {
	local builddir=$1
	shift
	if [ ! -x "$PM_TOP/configure" ]; then
		(cd "$PM_TOP" && autoreconf -fi) || return 1
	fi
	mkdir -p "$builddir" &&
		(cd "$builddir" && "$PM_TOP/configure" --quiet "$@")
}

#!/bin/bash
# tests/xenbox/without-kvm.sh - run a command on this machine as if it had
# no /dev/kvm: in a private mount namespace whose /dev is a tmpfs holding
# everything of the real /dev but kvm (bound in, so the rest still works).
# How CI's machines without KVM are reproduced on one that has it.
#
#   without-kvm.sh COMMAND [ARG]...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: without-kvm.sh COMMAND [ARG]..." >&2; exit 2; }
ns=(unshare --mount --propagation private)
[ "$(id -u)" = 0 ] || ns=(unshare --map-root-user --mount --propagation private)
exec "${ns[@]}" bash -c '
	set -e
	real=$(mktemp -d)
	mount --bind /dev "$real"
	mount -t tmpfs -o mode=755 devtmp /dev
	for e in "$real"/* "$real"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		n=/dev/${e##*/}
		if [ "$n" = /dev/kvm ]; then continue
		elif [ -L "$e" ]; then cp -P "$e" "$n"
		elif [ -d "$e" ]; then mkdir "$n"; mount --rbind "$e" "$n"
		else : > "$n"; mount --bind "$e" "$n"
		fi
	done
	exec "$@"' without-kvm "$@"

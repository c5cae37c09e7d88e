#!/bin/bash
# tests/fuzz/build.sh SRCDIR BUILDDIR OUTDIR [TARGET...] - builds the
# libFuzzer targets (tests/fuzz/fuzz-*.c) with clang, ASan and UBSan, each
# from the sources it exercises compiled with coverage (not the gcc-built
# libraries), into OUTDIR/fuzz-NAME. A target is rebuilt only when one of
# its sources is newer. Prints nothing on success; the compiler's errors
# and exit status 1 otherwise.
set -e
src=$1 build=$2 out=$3
shift 3
mkdir -p "$out"
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-fsanitize-recover=alignment   # liburcu's, suppressed by name in ubsan.supp: recoverable to be suppressible
	-include "$build/config.h" -I"$src/libphysmap/include" -I"$src/libphysmap"
	-I"$src/devmodel" -I"$src/tools/sim" -I"$src/tools/common" -I/usr/include/x86_64-linux-gnu)
lib=$src/libphysmap
config_src=("$lib"/{config,config-devices,config-keys,alloc,file,text,size,uuid,e820,p2m,pagepool}.c "$src"/boards/*.c)
config_libs=(-lxlutil -lxenlight -lyajl -lfdt -lurcu-common -lurcu-bp -lpthread)
dm_src=("$src"/devmodel/{memory,flatview,dispatch,mtree,listener,dirty,events,access,device-ops,exec,json}.c)
dm_libs=(-lurcu-common -lurcu-bp -lyajl -lpthread)
xs_src=("$src"/tools/sim/{xs-db,xs-watch,xs-proto,xs-conn,xs-wire,xs-domain,xs-server}.c "$src"/tools/common/{unixsock,failalloc}.c)

one() {   # NAME SOURCES... -- LIBS...
	local name=$1 srcs=() libs=() newest
	shift
	while [ "$1" != -- ]; do srcs+=("$1"); shift; done
	shift
	libs=("$@")
	newest=$(ls -t "$src/tests/fuzz/fuzz-$name.c" "${srcs[@]}" | head -1)
	[ -x "$out/fuzz-$name" ] && [ "$out/fuzz-$name" -nt "$newest" ] && return 0
	clang "${flags[@]}" "$src/tests/fuzz/fuzz-$name.c" "${srcs[@]}" "${libs[@]}" -o "$out/fuzz-$name.tmp"
	mv "$out/fuzz-$name.tmp" "$out/fuzz-$name"
}
targets=${*:-config stream region dispatch xs}
for t in $targets; do
	case $t in
	config) one config "${config_src[@]}" -- "${config_libs[@]}" ;;
	stream) one stream "$lib"/{stream,save-common}.c "${config_src[@]}" -- "${config_libs[@]}" ;;
	region) one region "${dm_src[@]}" -- "${dm_libs[@]}" ;;
	dispatch) one dispatch "${dm_src[@]}" -- "${dm_libs[@]}" ;;
	xs) one xs "${xs_src[@]}" -- -lpthread ;;
	*) echo "build.sh: $t: no such target (config stream region dispatch xs)" >&2; exit 1 ;;
	esac
done

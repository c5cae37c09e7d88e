#!/bin/bash
# public-headers.sh - each header make installs (<physmap/*.h>: the
# library's and the boards') compiles alone, as a consumer includes it:
# in C99 with -pedantic -Werror (no enumerator beyond an int, no
# extension), and in C++ (extern "C" around it)
. "${top_srcdir:-.}/tests/tap.sh"
B=${top_builddir:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
make -s -C "$B" install-physmapincludeHEADERS DESTDIR="$T/d" >/dev/null 2>&1
inc=$(dirname "$(find "$T/d" -type d -name physmap -path '*/include/*' | head -n 1)")
[ -d "$inc/physmap" ] || bail "make install-physmapincludeHEADERS installed nothing"
headers=$(cd "$inc" && ls physmap/*.h)
plan 3
c_bad= cxx_bad= nox=
for h in $headers; do
	printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$T/t.c"
	cp "$T/t.c" "$T/t.cc"
	gcc -std=c99 -pedantic -Werror -Wall -Wextra -I"$inc" -c "$T/t.c" -o "$T/t.o" 2>"$T/err" ||
		c_bad="$c_bad $h"
	g++ -std=c++11 -pedantic -Werror -Wall -I"$inc" -c "$T/t.cc" -o "$T/t.o" 2>>"$T/err" ||
		cxx_bad="$cxx_bad $h"
	grep -q 'extern "C"' "$inc/$h" || nox="$nox $h"
done
is "each of the $(echo $headers | wc -w) headers compiles alone in C99 -pedantic -Werror" "" "$c_bad"
is "and in C++11 -pedantic -Werror" "" "$cxx_bad"
is "each declares its functions extern \"C\" for C++" "" "$nox"

#!/bin/bash
# fuzz-replay.sh - the libFuzzer targets (tests/fuzz/fuzz-*.c: the xl.cfg
# parser and its resolution, the save stream's reader, physmap-dm's
# region-tree loader and its dispatcher under random accesses, the store's
# xs_wire handler), built with clang, ASan and UBSan: each replays its
# seed corpus (tests/fuzz/corpus/NAME, which keeps every input that once
# found something) and fuzzes on for $PM_FUZZ_SECONDS (default 5) seconds.
# make fuzz runs them for as long as one likes.
. "${top_srcdir:-.}/tests/tap.sh"
need_tool clang clang
src=${top_srcdir:-.}
build=$(cd "${top_builddir:-.}" && pwd)
bin=$build/tests/fuzz/bin
secs=${PM_FUZZ_SECONDS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export UBSAN_OPTIONS=suppressions=$src/tests/fuzz/ubsan.supp:halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
targets="config stream region dispatch xs"

plan 15
for t in $targets; do
	if "$src/tests/fuzz/build.sh" "$src" "$build" "$bin" "$t" >"$T/build.log" 2>&1; then
		ok "fuzz-$t builds with clang -fsanitize=fuzzer,address,undefined"
	else
		fail "fuzz-$t builds with clang -fsanitize=fuzzer,address,undefined"
		sed 's/^/#   /' "$T/build.log" | head -20
		continue
	fi
	if "$bin/fuzz-$t" -runs=0 "$src/tests/fuzz/corpus/$t" >"$T/replay.log" 2>&1; then
		ok "fuzz-$t: its $(ls "$src/tests/fuzz/corpus/$t" | wc -l) seed inputs replay without a crash, leak or broken property"
	else
		fail "fuzz-$t: its seed inputs replay without a crash, leak or broken property"
		grep -E 'ERROR|SUMMARY|runtime error|Running:' "$T/replay.log" | tail -5 | sed 's/^/#   /'
	fi
	mkdir -p "$T/$t"
	cp "$src/tests/fuzz/corpus/$t"/* "$T/$t/"
	if "$bin/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$T/" "$T/$t" >"$T/fuzz.log" 2>&1; then
		ok "fuzz-$t: $secs s of fuzzing, nothing found ($(sed -n 's/^stat::number_of_executed_units: *//p' "$T/fuzz.log") inputs)"
	else
		fail "fuzz-$t: $secs s of fuzzing, nothing found"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$T/fuzz.log" | head -10 | sed 's/^/#   /'
		cp "$T"/crash-* "$T"/leak-* "$T"/timeout-* "$build/" 2>/dev/null   # where a developer finds it
	fi
done

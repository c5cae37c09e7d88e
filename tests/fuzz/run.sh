#!/bin/bash
# tests/fuzz/run.sh SRCDIR BUILDDIR SECONDS [TARGET...] - make fuzz: each
# libFuzzer target (tests/fuzz/fuzz-*.c) built (build.sh) and run for
# SECONDS from its seed corpus (tests/fuzz/corpus/NAME) and what earlier
# runs found (BUILDDIR/tests/fuzz/work/NAME). A crash, leak or hang is
# kept in BUILDDIR/tests/fuzz/findings/ (add it to the seed corpus with
# its fix). One line a target; exit 1 if any found something.
src=$1 build=$2 secs=$3
shift 3
targets=${*:-config stream region dispatch xs}
bin=$build/tests/fuzz/bin
"$src/tests/fuzz/build.sh" "$src" "$build" "$bin" $targets || exit 1
export UBSAN_OPTIONS=suppressions=$src/tests/fuzz/ubsan.supp:halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
mkdir -p "$build/tests/fuzz/findings"
bad=0
for t in $targets; do
	work=$build/tests/fuzz/work/$t
	mkdir -p "$work"
	cp -n "$src/tests/fuzz/corpus/$t"/* "$work/" 2>/dev/null
	log=$build/tests/fuzz/$t.log
	"$bin/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$build/tests/fuzz/findings/$t-" "$work" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc = 0 ]; then
		echo "fuzz-$t: ${runs:-?} inputs in $secs s, nothing found (corpus: $(ls "$work" | wc -l) inputs)"
	else
		bad=1
		echo "fuzz-$t: FOUND after ${runs:-?} inputs: $(grep -m1 -E 'ERROR|runtime error' "$log")"
		ls "$build/tests/fuzz/findings/$t-"* 2>/dev/null | sed 's/^/  kept: /'
	fi
done
exit $bad

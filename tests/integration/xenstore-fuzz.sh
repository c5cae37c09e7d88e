#!/bin/bash
# xenstore-fuzz.sh - the store's libFuzzer target (tests/fuzz/fuzz-xs.c),
# built with clang (ASan+UBSan), replays the malformed corpus and then
# fuzzes for $PM_FUZZ_SECONDS (default 20) seconds from it.
. "${top_srcdir:-.}/tests/tap.sh"
need_tool clang clang
src=${top_srcdir:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
secs=${PM_FUZZ_SECONDS:-20}

plan 3

if clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/tools/sim" -I"$src/tools/common" \
	"$src"/tests/fuzz/fuzz-xs.c "$src"/tools/sim/xs-db.c "$src"/tools/sim/xs-watch.c \
	"$src"/tools/sim/xs-proto.c "$src"/tools/sim/xs-conn.c "$src"/tools/sim/xs-server.c \
	"$src"/tools/common/unixsock.c \
	-lpthread -o "$T/fuzz-xs" >"$T/build.log" 2>&1; then
	ok "the fuzz target builds with clang -fsanitize=fuzzer,address,undefined"
else
	fail "the fuzz target builds with clang -fsanitize=fuzzer,address,undefined"
	sed 's/^/#   /' "$T/build.log" | head -20
	bail "no fuzz target"
fi

if "$T/fuzz-xs" -runs=0 "$src/tests/fuzz/corpus" >"$T/replay.log" 2>&1; then
	ok "every file of the malformed corpus replays without a crash or leak"
else
	fail "every file of the malformed corpus replays without a crash or leak"
	grep -E 'ERROR|SUMMARY|runtime error' "$T/replay.log" | head -10 | sed 's/^/#   /'
fi

mkdir "$T/corpus"
cp "$src"/tests/fuzz/corpus/* "$T/corpus/"
if "$T/fuzz-xs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=9000 \
	-print_final_stats=1 -artifact_prefix="$T/" "$T/corpus" >"$T/fuzz.log" 2>&1; then
	ok "$secs s of fuzzing: no crash, hang or leak ($(sed -n 's/^stat::number_of_executed_units: *//p' "$T/fuzz.log") inputs)"
else
	fail "$secs s of fuzzing: no crash, hang or leak"
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$T/fuzz.log" | head -10 | sed 's/^/#   /'
	# keep the crashing input where a developer finds it
	cp "$T"/crash-* "$T"/leak-* "$T"/timeout-* "${top_builddir:-.}/" 2>/dev/null
fi

#!/bin/sh
# docs/man/man-fill.sh TEMPLATE VERSION [@NAME@ FILE]... - a manual page:
# TEMPLATE with @VERSION@ replaced, and each line that is just @NAME@
# replaced by the lines of FILE (generated from the programs' own tables)
t=$1 v=$2
shift 2
awk -v version="$v" -v pairs="$*" '
BEGIN { n = split(pairs, p, " "); for (i = 1; i < n; i += 2) file[p[i]] = p[i + 1] }
$0 in file { while ((getline l < file[$0]) > 0) print l; close(file[$0]); next }
{ gsub(/@VERSION@/, version); print }' "$t"

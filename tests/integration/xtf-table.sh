#!/bin/bash
# tests/integration/xtf-table.sh XEN SIM - the rows of docs/xtf.md's table
# from xtf-xen.sh's and xtf-sim.sh's result files ("NAME RESULT ..." per
# line): image, real Xen's result, the simulator's, and whether they agree.
set -euo pipefail
[ $# = 2 ] || { echo "usage: xtf-table.sh XEN-RESULTS SIM-RESULTS" >&2; exit 2; }
echo "| image | real Xen 4.17 (xl, TCG) | physmap-sim (KVM) | same |"
echo "|---|---|---|---|"
awk 'NR == FNR { xen[$1] = $2; next }
	{ r = $2; $1 = $1; why = substr($0, length($1) + length($2) + 3)
	  s = r (why != "" ? " " why : "")
	  printf "| %s | %s | %s | %s |\n", $1, ($1 in xen ? xen[$1] : "-"), s, (xen[$1] == r ? "yes" : "no") }' "$1" "$2"

# docs/man/man-api.awk - libphysmap(3)'s FUNCTIONS from the public headers:
# each documented declaration as a .TP entry, a subsection per header. A
# doc comment begins "/** NAMES - what" (or "/**" and then " * NAMES -
# what"); NAMES is one name or several ("pm_a / pm_b", "pm_a, pm_b", or
# "pm_a_x / _y" for pm_a_x and pm_a_y)
FNR == 1 { h = FILENAME; sub(/.*\//, "", h); printf ".SS <physmap/%s>\n", h }
/^\/\*\* pm_[a-z0-9_]+/ { line = $0; sub(/^\/\*\* /, "", line); sub(/ *\*\/$/, "", line); entry(line); next }
/^\/\*\*$/ { start = 1; next }
start && /^ \* pm_[a-z0-9_]+/ { line = $0; sub(/^ \* /, "", line); entry(line); start = 0; next }
{ start = 0 }
function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
function entry(s,   names, what, n, part, i, first, stem, list) {
	if (index(s, " - ")) {
		names = substr(s, 1, index(s, " - ") - 1); what = substr(s, index(s, " - ") + 3)
	} else {
		names = s; sub(/[.:].*/, "", names); what = s; sub(/^[^.:]*[.:] */, "", what)
	}
	gsub(/,/, " /", names)
	n = split(names, part, / \/ /)
	first = part[1]; list = first
	for (i = 2; i <= n; i++) {
		if (part[i] ~ /^_/) { stem = first; sub(/_[a-z0-9]+$/, "", stem); part[i] = stem part[i] }
		list = list ", " part[i]
	}
	printf ".TP\n.B %s\n%s\n", esc(list), esc(what)
}

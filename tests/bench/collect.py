#!/usr/bin/env python3
"""Merge the JSON lines benchmark programs print into bench-results.json.

Each line is one figure an issue names:
  {"name", "value", "unit", "baseline", "baseline_value", "ratio",
   "target", "met"}
The file is a JSON list of those objects; a table is printed as well.
"""
import json
import sys

KEYS = ("name", "value", "unit", "baseline", "baseline_value", "ratio",
        "target", "met")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    figures = []
    with open(src) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            fig = json.loads(line)
            missing = [k for k in KEYS if k not in fig]
            if missing:
                sys.exit(f"{src}:{n}: figure lacks {', '.join(missing)}")
            figures.append(fig)
    with open(dst, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")
    width = max((len(x["name"]) for x in figures), default=4)
    for x in figures:
        ratio = x["ratio"]
        ratio = f"{ratio:.3f}" if isinstance(ratio, (int, float)) else str(ratio)
        print(f"{x['name']:<{width}}  {x['value']:>12.4g} {x['unit']:<6} "
              f"ratio {ratio:>8}  target {x['target']}  "
              f"{'met' if x['met'] else 'NOT MET'}")
    unmet = sum(1 for x in figures if not x["met"])
    print(f"{len(figures)} figures, {unmet} targets not met -> {dst}")


if __name__ == "__main__":
    main()

"""Old vs new per row: two ``wavefront compare`` runs of the same set on the same folds, side by side.

    python benchmarks/old_vs_new.py NAME OLD/results.json NEW/results.json [NAME OLD NEW ...]

Prints, per set, a markdown table of each row present in both runs: mean ± std over folds of UA
(MAcc for two classes equals UA here: both are the mean per-class recall), the change, the change in
units of the old run's std over folds (``**(loses > 1 std)**`` where it is below -1) and the fit
seconds of both (comparable only where both runs had the machine to themselves).
"""

import json
import sys


def table(name, old, new):
    with open(old) as f:
        o = {(e["model"], e["kind"]): e for e in json.load(f)["summary"]}
    with open(new) as f:
        n = {(e["model"], e["kind"]): e for e in json.load(f)["summary"]}
    lines = [f"#### {name}", "", f"old: `{old}`; new: `{new}`", "",
             "| model | kind | old UA | new UA | change | change / old std | old fit (s) | new fit (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for key, b in n.items():
        a = o.get(key)
        if a is None or a["ua"] is None or b["ua"] is None:
            continue
        d = b["ua"] - a["ua"]
        ratio = f"{d / a['ua_std']:+.1f}" if a["ua_std"] else "n/a"
        flag = " **(loses > 1 std)**" if a["ua_std"] and d / a["ua_std"] < -1 else ""
        lines.append(f"| {key[0]} | {key[1]} | {a['ua']:.3f} ± {a['ua_std']:.3f} | {b['ua']:.3f} ± {b['ua_std']:.3f} | "
                     f"{d:+.3f}{flag} | {ratio} | {a['fit_seconds']:.1f} | {b['fit_seconds']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or len(argv) % 3:
        raise SystemExit(__doc__)
    print("\n\n".join(table(*argv[i:i + 3]) for i in range(0, len(argv), 3)))

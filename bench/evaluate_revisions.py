"""Benchmark: evaluate() of one git revision against the working tree, in turn, in fresh processes.

    .venv/bin/python bench/evaluate_revisions.py REV [--rounds 2] [--quick]

Exports REV's `app/`, `rules/` and `bench/` (git archive) to a temporary directory and runs
bench/evaluation.py's in-process measurement (`bench_evaluate`: cases of 20, 200 and 2,000
events, 3,000/1,000/200 runs over 10 logs each) once per round for REV and then for the working
tree, each in its own process, so the two alternate under the same background load. Prints
each run's figures and writes them, with the load average and the machine, to
`bench/results/evaluation-<date>-<label>.json` (`--label`, default `revisions`). Asserts nothing.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench" / "results"

# Run in the child with the tree to measure first on sys.path.
CHILD = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import bench.evaluation as b
from app.evaluation import CompiledRuleset, load_ruleset
reps = {20: 300, 200: 100, 2000: 20} if sys.argv[2] == "quick" else {20: 3000, 200: 1000, 2000: 200}
ruleset = CompiledRuleset(load_ruleset(Path(sys.argv[1]) / "rules"))
load = os.getloadavg()
out = b.bench_evaluate(ruleset, reps, 10)
print(json.dumps({"load_average": [load, os.getloadavg()], **out}))
"""


def measure(tree: Path, quick: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tree), "quick" if quick else "full"],
                          cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision")
    parser.add_argument("--rounds", type=int, default=2, choices=range(1, 11))
    parser.add_argument("--quick", action="store_true", help="a tenth of the runs (a smoke run)")
    parser.add_argument("--label", default="revisions", help="the results file's suffix (letters, digits, -)")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", args.revision], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    runs: dict[str, list[dict]] = {commit: [], "working tree": []}
    with tempfile.TemporaryDirectory(prefix="stuckfunds-rev-") as tmp:
        archive = subprocess.run(["git", "archive", args.revision, "app", "rules", "bench"],
                                 cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        for n in range(args.rounds):
            for name, tree in ((commit, Path(tmp)), ("working tree", PROJECT_ROOT)):
                result = measure(tree, args.quick)
                runs[name].append(result)
                sizes = result["sizes"]
                print(f"round {n + 1} {name:>12}: " + "   ".join(
                    f"{size} events median {s['median_ms']:.3f} min {s['min_ms']:.3f} ms"
                    for size, s in sizes.items())
                    + f"   (load {result['load_average'][0][0]:.2f})", flush=True)
    summary = {name: {size: {"median_ms_of_medians": statistics.median(r["sizes"][size]["median_ms"] for r in rs),
                             "min_ms": min(r["sizes"][size]["min_ms"] for r in rs)}
                      for size in rs[0]["sizes"]} for name, rs in runs.items()}
    print(json.dumps(summary, indent=1))
    from bench.harness import machine  # noqa: PLC0415 - only for the record
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = "".join(c for c in args.label if c.isalnum() or c == "-")[:40] or "revisions"
    path = RESULTS / f"evaluation-{datetime.now(timezone.utc):%Y-%m-%d}-{label}.json"
    path.write_text(json.dumps({
        "command": f".venv/bin/python bench/evaluate_revisions.py {args.revision} --rounds {args.rounds}"
                   + (" --quick" if args.quick else "") + f" --label {label}",
        "revision": commit, "working_tree_head": head, "machine": machine(),
        "summary": summary, "runs": runs}, indent=2) + "\n")
    print(f"results written to {path.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_ROOT))
    main()

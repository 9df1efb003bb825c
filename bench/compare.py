"""The connector at another commit against the working tree, on the same simulator work, alternating runs, in one run.

python -m bench.compare REF [--runs N]     (make bench-compare REF=...)

REF is checked out in a temporary git worktree; each command runs the installed console script with that tree, or
this one, first on PYTHONPATH. Prints the medians of wall time, CPU time and peak RSS of each, and the median of each
run's new over old (runs alternate, so each pair shares the machine's state).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.run import CONNECTOR, STATUS, STREAMS, Run, catalog_of, measure, simulator_process

ROOT = Path(__file__).resolve().parent.parent
BASE = {
    "account_id": "123456",
    "credentials": {"auth_type": "oauth2", "client_id": "sim-client-id", "client_secret": "sim-client-secret"},
}


def since(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) // 900 * 900 - seconds))


def commands(folder: Path, url: str) -> dict[str, list[str]]:
    """Each verb's start-up, a three-day read of the four groupings, and a 30-day status backfill."""
    files = {}
    for name, start, streams in (
        ("hour", since(3600), ["skill_interval_metrics"]),
        ("days", since(3 * 86400), STREAMS),
        ("status", since(30 * 86400), [STATUS]),
    ):
        files[name] = (Path(folder, f"{name}.json"), Path(folder, f"{name}-catalog.json"))
        files[name][0].write_text(json.dumps({**BASE, "domain_api_url": url, "start_date": start}))
        files[name][1].write_text(json.dumps(catalog_of(streams)))
    config, catalog = (str(path) for path in files["hour"])
    found = {
        "spec": [str(CONNECTOR), "spec"],
        "check": [str(CONNECTOR), "check", "--config", config],
        "discover": [str(CONNECTOR), "discover", "--config", config],
    }
    for name in files:
        config, catalog = (str(path) for path in files[name])
        found[f"read {name}"] = [str(CONNECTOR), "read", "--config", config, "--catalog", catalog]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ref", help="the commit to compare the working tree with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder, "old")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.ref], check=True)
        try:
            compare(old, args.ref, args.runs, Path(folder))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)


def compare(old: Path, ref: str, runs: int, folder: Path) -> None:
    trees = {ref: str(old), "working tree": str(ROOT)}
    with simulator_process({}) as simulator:
        work = commands(folder, simulator.url)
        results: dict[tuple[str, str], list[Run]] = {(label, tree): [] for label in work for tree in trees}
        for run in range(runs):
            for label, command in work.items():
                for tree, path in list(trees.items())[:: 1 if run % 2 else -1]:  # each first in turn
                    os.environ["PYTHONPATH"] = path
                    results[(label, tree)].append(measure(command, simulator))
            print(".", end="", flush=True)
    print(f"\n{'':16} {'wall s':>17} {'cpu s':>17} {'peak MB':>17}   {'wall x spread':>13}   medians of {runs}")
    for label in work:
        cells = []
        for field in ("wall", "cpu", "rss_mb"):
            old_runs, new_runs = ([getattr(run, field) for run in results[(label, t)]] for t in trees)
            # Each run's new over old, paired in time: a slow spell of the machine touches both sides of a pair.
            ratios = [after / before for before, after in zip(old_runs, new_runs, strict=True)]
            before, after = statistics.median(old_runs), statistics.median(new_runs)
            cells.append(f"{before:6.2f} {after:6.2f} {statistics.median(ratios):4.2f}x")
            if field == "wall":
                quartiles = statistics.quantiles(ratios, n=4) if runs > 1 else [ratios[0]] * 3
                spread = f"{quartiles[0]:.2f}-{quartiles[2]:.2f}"
        print(f"{label:16} {'  '.join(cells)}   {spread:>13}")
    print(f"{ref} -> working tree; x: the median of each run's new over old; spread: the middle half of those")


if __name__ == "__main__":
    main()

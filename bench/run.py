"""Benchmark: the installed connector against the floor reader, on the same simulator work, alternating runs.

Prints medians of wall time, CPU time, requests and peak RSS, and each figure's ratio next to its target.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Nothing heavy: on Linux a child's peak RSS starts at its parent's (a bench holding the CDK would show every reader
# at 80 MB at least).
import yaml

BIN = Path(sys.executable).parent
CONNECTOR = BIN / "source-interval-metrics"
MANIFEST = yaml.safe_load(Path(__file__).parent.parent.joinpath("manifest.yaml").read_text())
STREAMS = [
    stream["$parameters"]["name"] for stream in MANIFEST["streams"] if "grouping" in stream.get("$parameters", {})
]
SETTINGS = MANIFEST["spec"]["connection_specification"]["properties"]
DEFAULTS = {key: schema["default"] for key, schema in SETTINGS.items() if "default" in schema}
READ_ONE_HOUR = "read (one hour, one stream)"
STATUS = "agent_status_changes"
LARGEST_STATUS_PAGE = 5000  # the simulator's largest `limit` here (LivePerson publishes none; drafts said 5,000)


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    requests: int
    records: int


class SimulatorProcess:
    """The project's simulator in its own process, so that it neither shares the GIL nor inflates peak RSS."""

    def __init__(self, url: str) -> None:
        self.url = url

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_admin/stats") as answer:
            return dict(json.load(answer))

    def update(self, **settings: Any) -> None:
        request = urllib.request.Request(f"{self.url}/_admin/settings", data=json.dumps(settings).encode())
        urllib.request.urlopen(request).close()


@contextlib.contextmanager
def simulator_process(settings: dict[str, Any]) -> Iterator[SimulatorProcess]:
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder, "url")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "testkit.simulator",
                "--ready-file",
                str(ready),
                "--settings",
                json.dumps(settings),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            while not ready.exists() or not ready.read_text():
                time.sleep(0.05)
            yield SimulatorProcess(ready.read_text())
        finally:
            process.terminate()
            process.wait(timeout=10)


def measure(command: list[str], simulator: SimulatorProcess, counter: str = "interval_metrics") -> Run:
    """Run a reader to completion; its wall and CPU time, peak RSS, requests made (to the method `counter` names) and
    records printed."""
    before = simulator.stats().get(counter, 0)
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        assert os.waitstatus_to_exitcode(status) == 0, f"{command[0]} failed"
        out.seek(0)
        records = sum(1 for line in out if line.startswith(b'{"type":"RECORD"'))
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        simulator.stats().get(counter, 0) - before,
        records,
    )


def scenario(
    name: str,
    simulator: SimulatorProcess,
    config: dict[str, Any],
    streams: list[str],
    runs: int,
) -> dict[str, list[Run]]:
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog_of(streams)))
        commands = {
            "floor": [sys.executable, "-m", "bench.floor_reader", str(config_path), *streams],
            "connector": [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(catalog_path)],
        }
        results: dict[str, list[Run]] = {label: [] for label in commands}
        print(f"\n## {name}", flush=True)
        measure(commands["floor"], simulator)  # warm the simulator's cache: both readers then see the same answers
        for _ in range(runs):
            for label, command in commands.items():
                results[label].append(measure(command, simulator))
                print(".", end="", flush=True)
        print()
        return results


def catalog_of(streams: list[str]) -> dict[str, Any]:
    entry = {"json_schema": {}, "supported_sync_modes": ["full_refresh"]}
    return {
        "streams": [
            {"stream": {"name": s, **entry}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
            for s in streams
        ]
    }


def status_backfill(simulator: SimulatorProcess, config: dict[str, Any], latency: float) -> None:
    """A 30-day backfill of agent_status_changes: requests against the minimum for the largest page (every change
    in pages of the largest `limit`), records per second, peak memory."""
    simulator.update(latency=latency, status_max_limit=LARGEST_STATUS_PAGE)
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog_of([STATUS])))
        command = [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
        run = measure(command, simulator, counter="status_changes")
    minimum = -(-run.records // LARGEST_STATUS_PAGE)
    print(
        f"  {latency * 1000:.0f} ms a request: {run.records} changes in {run.wall:.2f} s "
        f"({run.records / run.wall:,.0f} records/s, cpu {run.cpu:.2f} s), {run.requests} requests against a minimum "
        f"of {minimum} ({run.requests / minimum:.2f}x: a refused first request per window under way before the "
        f"largest page is learned, and one per window that ends part-way through a page), peak RSS {run.rss_mb:.1f} MB"
    )


def large_roster(simulator: SimulatorProcess, config: dict[str, Any], users: int) -> None:
    """The `users` stream of an account with `users` agents (one body, one array): time, records a second, peak RSS;
    against a small account's, so that what a user costs shows apart from start-up."""
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog_of(["users"])))
        command = [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
        runs = {}
        for extra in (0, users):
            simulator.update(latency=0.0, roster_extra_users=extra)
            runs[extra] = measure(command, simulator, counter="roster:users")
    small, large = runs[0], runs[users]
    per_user = (large.wall - small.wall) / (large.records - small.records) * 1e6
    print(
        f"  {large.records:,} users in {large.wall:.2f} s (cpu {large.cpu:.2f} s, {large.requests} request), peak RSS "
        f"{large.rss_mb:.1f} MB; {small.records} users in {small.wall:.2f} s, peak RSS {small.rss_mb:.1f} MB: "
        f"{per_user:.0f} us and {(large.rss_mb - small.rss_mb) * 1024 / (large.records - small.records):.2f} kB "
        "a user more"
    )


def median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def table(results: dict[str, list[Run]]) -> None:
    print(f"{'reader':16} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'requests':>9} {'records':>8}")
    for label, runs in results.items():
        print(
            f"{label:16} {median(runs, 'wall'):8.2f} {median(runs, 'cpu'):8.2f} {median(runs, 'rss_mb'):8.1f} "
            f"{median(runs, 'requests'):9.0f} {median(runs, 'records'):8.0f}"
        )


def startup(simulator: SimulatorProcess, base: dict[str, Any], runs: int) -> tuple[float, float]:
    """Each verb's wall time against `python -c "import airbyte_cdk"`, and against the same verb run by the CDK alone
    (`bench/cdk_alone.py`: its entrypoint and declarative source of this manifest, which no connector of it can
    skip), alternating, medians. Returns the small read's wall time, the connector's and the CDK's alone."""
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) // 900 * 900 - 3600))
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps({**base, "start_date": recent}))
        catalog_path.write_text(json.dumps(catalog_of(["skill_interval_metrics"])))
        with_defaults = Path(folder, "with_defaults.json")  # the CDK alone fills in no defaults
        with_defaults.write_text(json.dumps({**DEFAULTS, **base, "start_date": recent}))
        alone = [sys.executable, "-m", "bench.cdk_alone"]
        commands = {
            "import airbyte_cdk": [sys.executable, "-c", "import airbyte_cdk"],
            "spec": [str(CONNECTOR), "spec"],
        }
        for verb, label in (("check", "check"), ("discover", "discover"), ("read", READ_ONE_HOUR)):
            extra = ["--catalog", str(catalog_path)] if verb == "read" else []
            commands[label] = [str(CONNECTOR), verb, "--config", str(config_path), *extra]
            commands[f"{label}, the CDK alone"] = [*alone, verb, "--config", str(with_defaults), *extra]
        walls: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(runs):
            for label, command in commands.items():
                walls[label].append(measure(command, simulator).wall)
    wall = {label: statistics.median(values) for label, values in walls.items()}
    cdk = wall.pop("import airbyte_cdk")
    print(f"  import airbyte_cdk: {cdk:.2f} s")
    for label, seconds in wall.items():
        ratio = seconds / cdk
        if label.endswith("the CDK alone"):
            print(f"  {label:44} {seconds:.2f} s = {ratio:.2f}x the import")
            continue
        verdict = f"(target <= 1.1x)  {'meets' if ratio <= 1.1 else 'MISSES'}"
        alone_seconds = wall.get(f"{label}, the CDK alone")
        against_cdk = f"; {seconds / alone_seconds:.2f}x the CDK alone" if alone_seconds else ""
        print(f"  {label:44} {seconds:.2f} s = {ratio:.2f}x the import {verdict}{against_cdk}")
    return wall[READ_ONE_HOUR], wall[f"{READ_ONE_HOUR}, the CDK alone"]


def marginal_cost(simulator: SimulatorProcess, base: dict[str, Any], runs: int, sizes: tuple[int, int]) -> None:
    """A record's marginal cost (the difference between two account sizes, over the difference in records: start-up
    cancels out), connector against the floor reader; peak memory at both sizes."""
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) // 86400 * 86400 - 13 * 86400))
    config = {**base, "start_date": start}
    at: dict[int, dict[str, list[Run]]] = {}
    for size in sizes:
        simulator.update(conversations_per_day=size)
        at[size] = scenario(
            f"{size} conversations a day: 13 daily windows of conversation grouping, zero latency",
            simulator,
            config,
            ["conversation_interval_metrics"],
            runs,
        )
    for size in sizes:
        table(at[size])
    small, large = (at[size] for size in sizes)
    for figure in ("wall", "cpu"):
        per_record = {
            label: (median(large[label], figure) - median(small[label], figure))
            / (median(large[label], "records") - median(small[label], "records"))
            * 1e6
            for label in ("floor", "connector")
        }
        ratio = per_record["connector"] / per_record["floor"]
        print(
            f"  a record's marginal {figure}: connector {per_record['connector']:.1f} us, floor "
            f"{per_record['floor']:.1f} us = {ratio:.2f}x  (target <= 2x)  {'meets' if ratio <= 2 else 'MISSES'}"
        )
    ours = float(
        subprocess.run(  # in a process of its own, so that the pages it holds never count in a reader's peak memory
            [sys.executable, "-m", "bench.own_components", simulator.url, config["start_date"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    print(
        f"  of a record's CPU, this connector's own components take {ours:.1f} us (against the floor's whole "
        f"{per_record['floor']:.1f} us); the CDK's path takes the other {per_record['connector'] - ours:.1f} us"
    )
    for size in sizes:
        print(
            f"  peak RSS at {median(at[size]['connector'], 'records'):.0f} records: connector "
            f"{median(at[size]['connector'], 'rss_mb'):.1f} MB, floor {median(at[size]['floor'], 'rss_mb'):.1f} MB "
            "(target: flat)"
        )


def latency(
    simulator: SimulatorProcess,
    base: dict[str, Any],
    runs: int,
    seconds: float,
    workers: int,
    start_up: tuple[float, float],
) -> None:
    """Wall at `seconds` a request against the limit: the API's minimum of requests (the floor reader's, which asks
    for each page once) times the latency, over the workers; and against that limit after the start-up of the CDK
    alone (`start_up`: a small read's wall, the connector's and the CDK's alone)."""
    simulator.update(latency=seconds)
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) // 86400 * 86400 - 7 * 86400))
    results = scenario(
        f"{seconds * 1000:.0f} ms a request: 7 days x 4 streams, {workers} workers",
        simulator,
        {**base, "start_date": start, "num_workers": workers},
        STREAMS,
        runs,
    )
    simulator.update(latency=0)
    table(results)
    minimum = median(results["floor"], "requests")
    limit = minimum * seconds / workers
    wall, asked = median(results["connector"], "wall"), median(results["connector"], "requests")
    print(
        f"  wall {wall:.2f} s against the limit {limit:.2f} s ({minimum:.0f} requests x {seconds * 1000:.0f} ms / "
        f"{workers}) = {wall / limit:.2f}x  (target <= 1.25x)  {'meets' if wall <= 1.25 * limit else 'MISSES'}"
    )
    ours, alone = start_up
    print(
        f"  of which start-up (a small read's wall) {ours:.2f} s; the rest, {wall - ours:.2f} s, is "
        f"{(wall - ours) / limit:.2f}x the limit (at most {workers} requests under way)"
    )
    print(
        f"  against what the CDK itself costs, its start-up alone ({alone:.2f} s) then the limit: "
        f"{wall / (alone + limit):.2f}x"
    )
    print(
        f"  requests {asked:.0f} against the minimum {minimum:.0f} = {asked / minimum:.3f}x  (target <= 1.05x)  "
        f"{'meets' if asked <= 1.05 * minimum else 'MISSES'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=(700, 5600), help="conversations a day, small and large")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with simulator_process({}) as simulator:
        base = {
            "account_id": "123456",
            "domain_api_url": simulator.url,
            "credentials": {"auth_type": "oauth2", "client_id": "sim-client-id", "client_secret": "sim-client-secret"},
        }
        print("\n## start-up of each verb, against the CDK's own import")
        start_up = startup(simulator, base, max(5, 2 * args.runs + 1))
        print("\n## a record's cost, and memory, from a small account to one eight times as busy")
        marginal_cost(simulator, base, args.runs, args.sizes)
        simulator.update(conversations_per_day=2300)
        print("\n## latency")
        latency(simulator, base, args.runs, 0.15, 4, start_up)
        print(f"\n## 30-day backfill of {STATUS} (36 agents, pages of at most {LARGEST_STATUS_PAGE})")
        day = 86400
        month = {**base, "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) - 30 * day))}
        for seconds in (0.0, 0.15):
            status_backfill(simulator, month, seconds)
        print("\n## the roster of a large account: users, one body of 20,000 agents")
        large_roster(simulator, base, 20_000)


if __name__ == "__main__":
    main()

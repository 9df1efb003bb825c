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

from source_interval_metrics.source import manifest

BIN = Path(sys.executable).parent
CONNECTOR = BIN / "source-interval-metrics"
STREAMS = [
    stream["$parameters"]["name"] for stream in manifest()["streams"] if "grouping" in stream.get("$parameters", {})
]
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
                "integration_tests.simulator",
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
    readers: dict[str, list[str]],
) -> dict[str, list[Run]]:
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog_of(streams)))
        commands = {
            "floor": [sys.executable, "-m", "bench.floor_reader", str(config_path), *streams],
            **{
                label: [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(catalog_path), *extra]
                for label, extra in readers.items()
            },
        }
        results: dict[str, list[Run]] = {label: [] for label in commands}
        print(f"\n## {name}", flush=True)
        measure(commands["floor"], simulator)  # warm the simulator's cache: both readers then see the same answers
        for _ in range(runs):
            for label, command in commands.items():
                if label != "floor" and label.startswith("connector@"):
                    workers = int(label.split("@")[1])
                    config_path.write_text(json.dumps({**config, "num_workers": workers}))
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


def median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def report(results: dict[str, list[Run]], targets: dict[str, float]) -> None:
    floor = results["floor"]
    print(f"{'reader':16} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'requests':>9} {'records':>8}")
    for label, runs in results.items():
        print(
            f"{label:16} {median(runs, 'wall'):8.2f} {median(runs, 'cpu'):8.2f} {median(runs, 'rss_mb'):8.1f} "
            f"{median(runs, 'requests'):9.0f} {median(runs, 'records'):8.0f}"
        )
    for label, runs in results.items():
        if label == "floor":
            continue
        for figure, target in targets.items():
            value = median(runs, figure) / median(floor, figure)
            verdict = "meets" if value <= target else "MISSES"
            print(f"  {label}: {figure} / floor = {value:.2f}  (target <= {target})  {verdict}")
        extra = median(runs, "requests") - median(floor, "requests")
        print(
            f"  {label}: requests beyond the floor's = {extra:.0f}  (target 0)  {'meets' if extra <= 0 else 'MISSES'}"
        )
        drift = median(runs, "records") - median(floor, "records")
        if drift:  # readers end at the last finished interval: a 15-minute boundary can pass between runs
            print(f"  {label}: read {drift:+.0f} records more than the floor (an interval finished between runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conversations-per-day", type=int, default=2300)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    day = 86400
    today = int(time.time()) // day * day
    with simulator_process({"conversations_per_day": args.conversations_per_day}) as simulator:
        base = {
            "account_id": "123456",
            "domain_api_url": simulator.url,
            "credentials": {"auth_type": "oauth2", "client_id": "sim-client-id", "client_secret": "sim-client-secret"},
        }
        config = {**base, "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today - 13 * day))}
        results = scenario(
            "zero latency: 13 daily windows of conversation grouping, pageSize 500",
            simulator,
            config,
            ["conversation_interval_metrics"],
            args.runs,
            {"connector": []},
        )
        report(results, {"wall": 2.0, "cpu": 4.0})
        simulator.update(latency=0.05)
        config = {**base, "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today - 14 * day))}
        results = scenario(
            "50 ms latency: 14 days x 4 streams",
            simulator,
            config,
            STREAMS,
            max(1, args.runs - 1),
            {"connector@4": [], "connector@8": []},
        )
        report(results, {"wall": 0.5})
        config = {**config, "extra_groupings": ["skill,agent"]}
        results = scenario(
            "50 ms latency: 14-day backfill of a combined grouping (extra_groupings: ['skill,agent'])",
            simulator,
            config,
            ["skill_agent_interval_metrics"],
            1,
            {"connector@4": []},
        )
        report(results, {"wall": 0.5})
        simulator.update(latency=0)
        print("\n## peak memory as the window doubles (conversation grouping, zero latency)")
        for days in (7, 14):
            config = {**base, "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today - days * day))}
            peaks = scenario(f"{days} days", simulator, config, ["conversation_interval_metrics"], 1, {"connector": []})
            print(
                f"  {days} days: connector peak RSS {median(peaks['connector'], 'rss_mb'):.1f} MB "
                f"(target <= 150 MB and flat), floor {median(peaks['floor'], 'rss_mb'):.1f} MB"
            )
        print(f"\n## 30-day backfill of {STATUS} (36 agents, pages of at most {LARGEST_STATUS_PAGE})")
        month = {**base, "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today - 30 * day))}
        for latency in (0.0, 0.15):
            status_backfill(simulator, month, latency)


if __name__ == "__main__":
    main()

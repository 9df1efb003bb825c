"""Sync LivePerson interval metrics and agent status changes into a local DuckDB file with PyAirbyte, then show what
landed, and what WFM teams compute from it.

Without LP_ACCOUNT_ID in the environment it runs against the bundled simulator on 127.0.0.1. With
LP_ACCOUNT_ID, LP_CLIENT_ID and LP_CLIENT_SECRET (and optionally LP_START_DATE) it reads a real account.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from demo import figures
from source_interval_metrics import groupings
from source_interval_metrics.manifest import manifest

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry look-ups: the connector is local
os.environ.setdefault("DO_NOT_TRACK", "1")

SCRIPT = Path(sys.executable).parent / "source-interval-metrics"
# Agent by skill (what WFM tools import), and by conversation too (AHT per skill by agent group, from the docs page).
EXTRA_GROUPINGS = ["skill,agent", "skill,agent,conversation"]
STATUS = "agent_status_changes"
ROSTER = ["users", "skills", "agent_groups", "profiles", "agent_status_reasons"]
STREAMS = [
    *(stream["$parameters"]["name"] for stream in manifest()["streams"] if "grouping" in stream.get("$parameters", {})),
    *(groupings.parse(entry).name for entry in EXTRA_GROUPINGS),
    STATUS,
    *ROSTER,
]


def quiet_about_connectors_ended_on_purpose() -> None:
    """PyAirbyte ends a connector with SIGTERM (exit code 143) once it has read what it needs (the spec, for one),
    and its generator's clean-up then raises into Python's "exception ignored" hook: not a failure, so not printed.
    Anything else still is."""
    from airbyte.exceptions import AirbyteSubprocessFailedError

    printed = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        error = unraisable.exc_value
        if not (isinstance(error, AirbyteSubprocessFailedError) and error.exit_code == 128 + signal.SIGTERM):
            printed(unraisable)

    sys.unraisablehook = hook


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


REAL_ACCOUNT = ("LP_ACCOUNT_ID", "LP_CLIENT_ID", "LP_CLIENT_SECRET")


class HalfSetEnvironment(SystemExit):
    """Some of the variables naming a real account are set, not all: say which are missing."""


@contextlib.contextmanager
def account() -> Iterator[dict[str, Any]]:
    """The connector config: a real account from the environment, else the simulator, started and stopped here."""
    given = [name for name in REAL_ACCOUNT if os.environ.get(name)]
    if given and len(given) < len(REAL_ACCOUNT):
        missing = [name for name in REAL_ACCOUNT if name not in given]
        raise HalfSetEnvironment(
            f"make demo: reading a real account needs {', '.join(REAL_ACCOUNT)} (and optionally LP_START_DATE); "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set. Unset {', '.join(given)} "
            "to run against the bundled simulator instead."
        )
    if given:
        config: dict[str, Any] = {
            "extra_groupings": EXTRA_GROUPINGS,
            "account_id": os.environ["LP_ACCOUNT_ID"],
            "credentials": {
                "auth_type": "oauth2",
                "client_id": os.environ["LP_CLIENT_ID"],
                "client_secret": os.environ["LP_CLIENT_SECRET"],
            },
        }
        if os.environ.get("LP_START_DATE"):
            config["start_date"] = os.environ["LP_START_DATE"]
        say(f"Reading LivePerson account {config['account_id']}")
        yield config
        return
    from testkit.simulator import Settings, Simulator

    with Simulator(Settings()) as simulator:
        say(f"Started the LivePerson simulator at {simulator.url} (account {simulator.settings.account})")
        yield {
            "account_id": simulator.settings.account,
            "credentials": {
                "auth_type": "oauth2",
                "client_id": simulator.settings.client_id,
                "client_secret": simulator.settings.client_secret,
            },
            "domain_api_url": simulator.url,
            "extra_groupings": EXTRA_GROUPINGS,
        }
    say("Stopped the simulator")


def readable_streams(config: dict[str, Any]) -> list[str]:
    """The demo's streams the credentials can read: the connector's `check` says when agent status changes cannot
    be (they need a permission of their own), and the demo goes on without them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        done = subprocess.run(
            [str(SCRIPT), "check", "--config", str(path)], capture_output=True, text=True, timeout=600
        )
    statuses = [
        json.loads(line)["connectionStatus"] for line in done.stdout.splitlines() if "CONNECTION_STATUS" in line
    ]
    status = statuses[0] if statuses else {"status": "FAILED", "message": done.stderr[-500:]}
    if status["status"] != "SUCCEEDED":
        raise SystemExit(f"make demo: check failed: {status.get('message')}")
    unreadable = [stream for stream in STREAMS if f"{stream} cannot be read" in (status.get("message") or "")]
    if unreadable:
        say(f"{status['message']} The demo goes on without {', '.join(unreadable)}.")
    return [stream for stream in STREAMS if stream not in unreadable]


def summarize(cache: Any, source_name: str, streams: list[str]) -> None:
    """Rows, range and saved state of every stream."""
    states = cache.get_state_provider(source_name)
    print(f"\n{'stream':36} {'rows':>7}  {'first interval or change':32}  {'last':32}  saved state")
    for stream in streams:
        frame = cache[stream].to_pandas().rename(columns=str.lower)
        column = {STATUS: "time", **dict.fromkeys(ROSTER, "id")}.get(stream, "intervalstart")  # the roster: its ids
        state = states.get_stream_state(stream, not_found=None)
        blob = state.stream.stream_state if state and state.stream else None
        saved = blob.model_dump() if blob is not None and hasattr(blob, "model_dump") else blob
        first, last = (frame[column].min(), frame[column].max()) if len(frame) else ("-", "-")
        print(f"{stream:36} {len(frame):>7}  {str(first):32}  {str(last):32}  {saved}")
    print()


def finished(frame: Any, column: str) -> Any:
    """The rows before the last interval: LivePerson may still add to the interval a sync read last, and a chart would
    show it as a dip."""
    return frame[frame[column] < frame[column].max()]


def skill_chart(arrivals: Any, aht: Any, path: Path) -> None:
    """Per skill (small multiples, one scale across skills): arrivals and closed conversations per 15-minute interval
    over the whole range read, quiet intervals as zero (the docs page's dense calendar), and AHT per day (the docs
    page's definition: handle time over closed conversations)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrivals = finished(arrivals.rename(columns=str.lower), "intervalstart")
    skills = sorted(set(arrivals["skillname"]))
    figure, axes = plt.subplots(
        2, len(skills), figsize=(4.5 * len(skills), 7), sharex=True, sharey="row", squeeze=False
    )
    for column, skill in enumerate(skills):
        volume, handle = axes[0][column], axes[1][column]
        one = arrivals[arrivals["skillname"] == skill]
        volume.plot(one["intervalstart"], one["arrivals"], label="arrivals", linewidth=0.8)
        volume.plot(one["intervalstart"], one["closedconversations"], label="closed", linewidth=0.8, alpha=0.7)
        volume.set_title(skill)
        volume.legend(loc="upper left", fontsize="small")
        days = aht[aht["skill"] == skill]
        handle.step(days["day"], days["aht_seconds"] / 60, where="post", color="tab:red", label="AHT per day")
        handle.legend(loc="upper left", fontsize="small")
        handle.tick_params(axis="x", labelrotation=45)
    axes[0][0].set_ylabel("conversations per 15 minutes")
    axes[1][0].set_ylabel("AHT (min): handle time / closed")
    figure.suptitle(
        "Per skill, UTC, one scale across skills: arrivals and closed conversations per interval; AHT per day"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close("all")


def states_by_group(seconds: Any, occupancy: Any) -> Any:
    """Per agent group and 15-minute interval: agents Online, Occupied (Back soon) and Away (seconds in the state over
    the interval's 900), and occupancy (work time over time Online, summed over the group's agents first)."""
    import pandas as pd

    seconds = seconds.assign(agents=seconds["seconds"] / 900)
    states = seconds.pivot_table(
        index=["agent_group", "interval_start"], columns="status", values="agents", aggfunc="sum", fill_value=0.0
    ).reindex(columns=["ONLINE", "OCCUPIED", "AWAY"], fill_value=0.0)
    groups = seconds.drop_duplicates("agent_id").set_index("agent_id")["agent_group"]
    occupancy = occupancy.assign(agent_group=occupancy["agent_id"].map(groups))
    sums = occupancy.groupby(["agent_group", "interval_start"])[["work_seconds", "online_seconds"]].sum()
    states["occupancy"] = (sums["work_seconds"] / sums["online_seconds"]).reindex(states.index)
    starts = states.index.get_level_values("interval_start")
    every = pd.date_range(starts.min(), starts.max(), freq="15min")  # no agent in a state: zero, not a line across
    dense = pd.MultiIndex.from_product([sorted(set(groups)), every], names=["agent_group", "interval_start"])
    states = states.reindex(dense).fillna({"ONLINE": 0.0, "OCCUPIED": 0.0, "AWAY": 0.0})
    return states.reset_index()


def state_chart(states: Any, path: Path) -> None:
    """One panel per agent group, named: agents in each state per 15-minute interval, and the group's occupancy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    states = finished(states, "interval_start")
    groups = sorted(set(states["agent_group"]))
    figure, axes = plt.subplots(len(groups), 1, figsize=(13, 3 * len(groups)), sharex=True, squeeze=False)
    for row, group in enumerate(groups):
        one, panel = states[states["agent_group"] == group], axes[row][0]
        panel.stackplot(
            one["interval_start"],
            one["ONLINE"],
            one["OCCUPIED"],
            one["AWAY"],
            labels=["Online", "Occupied (Back soon)", "Away"],
            alpha=0.8,
        )
        panel.set_title(group)
        panel.set_ylabel("agents")
        share = panel.twinx()
        share.plot(one["interval_start"], one["occupancy"] * 100, color="black", linewidth=0.7, label="occupancy")
        share.set_ylim(0, 100)
        share.set_ylabel("occupancy (%)")
        lines, labels = panel.get_legend_handles_labels()
        more, more_labels = share.get_legend_handles_labels()
        panel.legend(lines + more, labels + more_labels, loc="upper left", fontsize="small")
    figure.suptitle(
        "Per agent group and UTC 15-minute interval: agents in each state; occupancy = work time / time Online"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close("all")


def print_figure(title: str, frame: Any, rows: int = 8) -> None:
    say(title)
    print(frame.head(rows).to_string(index=False), "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("demo/output"), help="where the DuckDB file and chart go")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(args.output / "logs"))

    import airbyte as ab
    from airbyte.caches import DuckDBCache

    quiet_about_connectors_ended_on_purpose()

    cache = DuckDBCache(db_path=args.output / "interval_metrics.duckdb", schema_name="liveperson")
    with account() as config:
        say("check")
        streams = readable_streams(config)
        source = ab.get_source("source-interval-metrics", config=config, local_executable=SCRIPT, streams=streams)
        say(f"Full sync of {len(streams)} streams (every interval the API still holds, and 14 days of changes)")
        full = source.read(cache=cache, force_full_refresh=True)
        say(f"Full sync landed {full.processed_records} records")
        say("Incremental sync (from the saved state minus the lookback window)")
        incremental = source.read(cache=cache)
        say(f"Incremental sync landed {incremental.processed_records} records")
        summarize(cache, source.name, streams)
    cache.get_sql_engine().dispose()  # the figures below read the file through DuckDB itself
    show_figures(args.output, set(streams))
    return 0


def show_figures(output: Path, streams: set[str]) -> None:
    """The docs page's figures on the demo's file, printed and charted (what each needs landed)."""
    import duckdb

    with duckdb.connect(str(output / "interval_metrics.duckdb")) as db:
        calendar, aht = figures.run(db, "dense_calendar"), figures.run(db, "aht_per_skill_and_day")
        print_figure("AHT per skill and day (handle time over closed conversations), seconds", aht)
        skill_chart(calendar, aht, output / "wfm_per_skill.png")
        say(f"Chart: {output / 'wfm_per_skill.png'}")
        if {"users", "skills"} <= streams:
            print_figure("Agents per skill, from the roster", figures.run(db, "agents_per_skill"))
        if {"users", "agent_groups", "skill_agent_conversation_interval_metrics"} <= streams:
            by_group = figures.run(db, "aht_per_skill_and_agent_group")
            print_figure("AHT per skill by agent group and day, seconds", by_group)
        if STATUS not in streams:
            return
        seconds = figures.run(db, "time_in_state")
        print_figure(f"Time in each state per agent and 15-minute interval: {len(seconds)} rows, for example", seconds)
        occupancy = figures.run(db, "occupancy_per_agent_and_interval")
        print_figure("Occupancy per agent and interval (work time over time Online)", occupancy)
        if {"users", "agent_groups"} <= streams:
            by_group = figures.run(db, "time_in_state_by_group")
            print_figure("Time in each state with each agent's employee id and group, from the roster", by_group)
            state_chart(states_by_group(by_group, occupancy), output / "wfm_agent_states.png")
            say(f"Chart: {output / 'wfm_agent_states.png'}")
    say(f"DuckDB file: {output / 'interval_metrics.duckdb'}")


if __name__ == "__main__":
    sys.exit(main())

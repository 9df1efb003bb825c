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
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from source_interval_metrics import groupings
from source_interval_metrics.manifest import manifest

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry look-ups: the connector is local
os.environ.setdefault("DO_NOT_TRACK", "1")

SCRIPT = Path(sys.executable).parent / "source-interval-metrics"
EXTRA_GROUPINGS = ["skill,agent"]  # agent-by-skill intervals, what WFM tools import
STATUS = "agent_status_changes"
ROSTER = ["users", "skills", "agent_groups", "profiles", "agent_status_reasons"]
STREAMS = [
    *(stream["$parameters"]["name"] for stream in manifest()["streams"] if "grouping" in stream.get("$parameters", {})),
    *(groupings.parse(entry).name for entry in EXTRA_GROUPINGS),
    STATUS,
    *ROSTER,
]
# Time in each state per agent and 15-minute interval, from the status changes alone: a state lasts from its change to
# the agent's next one (a login and its default state share a millisecond; the last change of an agent still logged
# in is open, so not counted). The docs page shows the same query; Postgres and DuckDB run it as it is.
TIME_IN_STATE = """
WITH RECURSIVE changes AS (
  SELECT agentid AS agent_id, status, "time" AS state_from,
         LEAD("time") OVER (PARTITION BY agentid ORDER BY "time", sequencenumber) AS state_to
  FROM liveperson.agent_status_changes
), states AS (
  SELECT * FROM changes WHERE status IN ('ONLINE', 'OCCUPIED', 'AWAY') AND state_to IS NOT NULL
), grid AS (
  SELECT date_trunc('hour', MIN(state_from)) AS interval_start, MAX(state_to) AS last_end FROM states
  UNION ALL
  SELECT interval_start + INTERVAL '15 minutes', last_end FROM grid
  WHERE interval_start + INTERVAL '15 minutes' < last_end
)
SELECT s.agent_id, g.interval_start, s.status,
       SUM(EXTRACT(EPOCH FROM LEAST(s.state_to, g.interval_start + INTERVAL '15 minutes')
                              - GREATEST(s.state_from, g.interval_start))) AS seconds
FROM states s
JOIN grid g ON g.interval_start < s.state_to AND g.interval_start + INTERVAL '15 minutes' > s.state_from
GROUP BY s.agent_id, g.interval_start, s.status
ORDER BY g.interval_start, s.agent_id, s.status
"""

# The same, each row with the agent's employee id and group, from the roster (the docs page's join).
TIME_IN_STATE_BY_GROUP = f"""
WITH seconds AS ({TIME_IN_STATE})
SELECT s.agent_id, u.employeeid AS employee_id, g.name AS agent_group, s.interval_start, s.status, s.seconds
FROM seconds s
JOIN liveperson.users u ON u.id = s.agent_id
LEFT JOIN liveperson.agent_groups g ON g.id = u.agentgroupid
ORDER BY s.interval_start, g.name, s.agent_id, s.status
"""
# Agents per skill, from the roster: the human agents not deleted, by each skill they take (the docs page's query;
# `skillIds` lands as JSON in DuckDB through PyAirbyte, as an array elsewhere: unnest it as your warehouse does).
AGENTS_PER_SKILL = """
SELECT k.name AS skill, COUNT(*) AS agents
FROM liveperson.users u, unnest(from_json(u.skillids, '["BIGINT"]')) AS t(skill_id)
JOIN liveperson.skills k ON k.id = t.skill_id
WHERE NOT u.deleted AND u.usertypeid = 1
GROUP BY k.name
ORDER BY k.name
"""


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


def hourly_per_skill(frame: Any) -> Any:
    """Arrivals, handled conversations and handle time per UTC hour and skill, quiet hours as zero, and the average
    handle time of each hour (its handle time over its handled conversations: a ratio of sums, never a mean of
    ratios)."""
    import pandas as pd

    frame = frame.rename(columns=str.lower)
    frame["hour"] = pd.to_datetime(frame["intervalstart"], utc=True).dt.floor("h")
    sums = frame.groupby(["skillname", "hour"])[["arrivals", "handledconversations", "handletime"]].sum()
    hours = pd.date_range(frame["hour"].min(), frame["hour"].max(), freq="h")
    dense = sums.reindex(pd.MultiIndex.from_product([sums.index.levels[0], hours], names=["skillname", "hour"]))
    dense = dense.fillna(0).astype(float)
    dense["aht"] = dense["handletime"] / dense["handledconversations"].where(dense["handledconversations"] > 0)
    return dense


def chart(cache: Any, path: Path) -> None:
    """What a WFM analyst plans from, per skill (small multiples): arrivals and handled conversations per hour, and
    average handle time per hour, over the last two days of data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = cache["skill_interval_metrics"].to_pandas()
    hourly = hourly_per_skill(frame)
    last = hourly.index.get_level_values("hour").max()
    hourly = hourly[hourly.index.get_level_values("hour") > last - pd.Timedelta(days=2)]
    skills = sorted(set(hourly.index.get_level_values("skillname")))
    figure, axes = plt.subplots(2, len(skills), figsize=(4 * len(skills), 6.5), sharex=True, squeeze=False)
    for column, skill in enumerate(skills):
        one = hourly.xs(skill, level="skillname")
        volume, handle = axes[0][column], axes[1][column]
        volume.plot(one.index, one["arrivals"], label="arrivals", linewidth=1.3)
        volume.plot(one.index, one["handledconversations"], label="handled", linewidth=1.3)
        volume.set_title(skill)
        handle.plot(one.index, one["aht"] / 60, color="tab:red", linewidth=1.3)
        handle.tick_params(axis="x", labelrotation=45)
    axes[0][0].set_ylabel("conversations per hour")
    axes[1][0].set_ylabel("average handle time (min)")
    axes[0][0].legend(loc="upper left")
    figure.suptitle("Per skill and UTC hour: arrivals, handled conversations and average handle time (quiet hours 0)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close("all")


def time_in_state(cache: Any, query: str = TIME_IN_STATE) -> Any:
    """A query (TIME_IN_STATE unless said) run in the DuckDB file, in UTC: a data frame."""
    import pandas as pd
    from sqlalchemy import text

    with cache.get_sql_engine().connect() as connection:
        connection.execute(text("SET TimeZone = 'UTC'"))
        return pd.read_sql_query(text(query), connection)


def hourly_states(seconds: Any, handled: Any) -> Any:
    """Per UTC hour: agent-hours Online, Occupied and Away (the average number of agents in each state), handled
    conversations, and occupancy: the time Occupied over the time Online or Occupied (a ratio of sums)."""
    import pandas as pd

    seconds = seconds.assign(hour=pd.to_datetime(seconds["interval_start"], utc=True).dt.floor("h"))
    hours = seconds.pivot_table(index="hour", columns="status", values="seconds", aggfunc="sum", fill_value=0) / 3600
    every_hour = pd.date_range(hours.index.min(), hours.index.max(), freq="h")
    hours = hours.reindex(index=every_hour, columns=["ONLINE", "OCCUPIED", "AWAY"], fill_value=0.0)
    handled = handled.rename(columns=str.lower)
    handled = handled.assign(hour=pd.to_datetime(handled["intervalstart"], utc=True).dt.floor("h"))
    hours["handled"] = handled.groupby("hour")["handledconversations"].sum().reindex(hours.index, fill_value=0)
    working = hours["ONLINE"] + hours["OCCUPIED"]
    hours["occupancy"] = hours["OCCUPIED"] / working.where(working > 0)
    return hours


def state_chart(hours: Any, path: Path) -> None:
    """Agents in each state per hour beside handled conversations and occupancy, over the last two days."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    hours = hours[hours.index > hours.index.max() - pd.Timedelta(days=2)]
    figure, (states, work) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    states.stackplot(
        hours.index, hours["ONLINE"], hours["OCCUPIED"], hours["AWAY"], labels=["Online", "Occupied", "Away"]
    )
    states.set_ylabel("agents in the state (average)")
    states.legend(loc="upper left")
    work.bar(hours.index, hours["handled"], width=1 / 26, color="tab:gray", label="handled conversations")
    work.set_ylabel("handled conversations per hour")
    share = work.twinx()
    share.plot(hours.index, hours["occupancy"] * 100, color="tab:red", linewidth=1.3, label="occupancy")
    share.set_ylabel("occupancy (%): Occupied over Online or Occupied")
    share.set_ylim(0, 100)
    work.tick_params(axis="x", labelrotation=45)
    figure.suptitle("Per UTC hour: agents Online, Occupied and Away; handled conversations and occupancy")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close("all")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("demo/output"), help="where the DuckDB file and chart go")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(args.output / "logs"))

    import airbyte as ab
    from airbyte.caches import DuckDBCache

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
    picture = args.output / "wfm_per_skill.png"
    chart(cache, picture)
    say(f"Chart: {picture}")
    if {"users", "skills"} <= set(streams):
        say("Agents per skill, from the roster")
        print(time_in_state(cache, AGENTS_PER_SKILL).to_string(index=False), "\n")
    if STATUS not in streams:
        return 0
    seconds = time_in_state(cache)
    say(f"Time in each state per agent and 15-minute interval: {len(seconds)} rows, for example")
    print(seconds.head(6).to_string(index=False), "\n")
    if {"users", "agent_groups"} <= set(streams):
        say("The same with each agent's employee id and group, from the roster")
        print(time_in_state(cache, TIME_IN_STATE_BY_GROUP).head(6).to_string(index=False), "\n")
    states = args.output / "wfm_agent_states.png"
    state_chart(hourly_states(seconds, cache["agent_interval_metrics"].to_pandas()), states)
    say(f"DuckDB file: {cache.db_path}")
    say(f"Chart: {states}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make demo` end to end: PyAirbyte runs the installed connector against the simulator into DuckDB."""

from __future__ import annotations

import calendar
import os
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from demo import figures
from demo.__main__ import ROSTER, STREAMS
from testkit.simulator import Settings, Simulator, roster

ROOT = Path(__file__).resolve().parent.parent


def run_demo(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`python -m demo` (what `make demo` runs) without the LP_ variables of this machine, plus `environment`."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LP_")}, **environment}
    command = [sys.executable, "-m", "demo", "--output", str(tmp_path)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def count(db: duckdb.DuckDBPyConnection, query: str) -> int:
    row = db.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_demo_lands_every_stream_in_duckdb_and_draws_the_chart(tmp_path: Path) -> None:
    done = run_demo(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # the four groupings, agent by skill, states, and the roster's five
    assert len(STREAMS) == 12 and "skill_agent_conversation_interval_metrics" in STREAMS
    assert set(ROSTER) <= set(STREAMS) and "agent_status_changes" in STREAMS
    for stream in STREAMS:
        assert stream in done.stdout
    assert "Incremental sync landed" in done.stdout and "Stopped the simulator" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    for chart in (tmp_path / "wfm_per_skill.png", tmp_path / "wfm_agent_states.png"):
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    assert "AHT per skill and day (handle time over closed conversations)" in done.stdout
    with duckdb.connect(str(tmp_path / "interval_metrics.duckdb"), read_only=True) as db:
        for stream in STREAMS:
            rows = count(db, f"select count(*) from liveperson.{stream}")
            distinct = count(
                db,
                f"select count(*) from (select distinct * exclude (_airbyte_raw_id, "
                f"_airbyte_extracted_at, _airbyte_meta) from liveperson.{stream})",
            )
            assert rows > (0 if stream in ROSTER else 100) and rows == distinct, stream
        the_docs_figures_hold_on_the_demo_s_file(db)


def the_docs_figures_hold_on_the_demo_s_file(db: duckdb.DuckDBPyConnection) -> None:
    """Each figure of the docs page, run on the demo's file, against the simulator's truth over the range landed."""
    truth = Simulator(Settings())  # the demo's world, not started: its truth is a function of the settings
    first, last = (
        calendar.timegm(moment.timetuple())
        for moment in db.execute(
            "select min(intervalstart), max(intervalstart) from liveperson.skill_interval_metrics"
        ).fetchone()
    )
    end = last + 900
    # AHT per skill and day: handle time over closed conversations, sums over the day's intervals landed
    wanted: dict[tuple[str, int], list[int]] = {}
    for entry in truth.entries("skill", first, end):
        at = calendar.timegm(time.strptime(entry["timeframe"]["from"], "%Y-%m-%dT%H:%M:%SZ"))
        sums = wanted.setdefault((entry["skillName"], at - at % 86400), [0, 0])
        sums[0] += entry["metrics"]["handleTime"]
        sums[1] += entry["metrics"]["closedConversations"]
    aht = figures.run(db, "aht_per_skill_and_day")
    assert len(aht) == len(wanted) > 20
    for row in aht.itertuples():
        handle, closed = wanted[(row.skill, calendar.timegm(row.day.timetuple()))]
        assert row.aht_seconds == pytest.approx(handle / closed), row
    # AHT per skill by agent group: handle time over the distinct conversations each group worked for the skill
    groups = {user["id"]: user["agentGroupId"] for user in roster.truth(Settings().account, "users")}
    names = {group["id"]: group["name"] for group in roster.truth(Settings().account, "agent_groups")}
    by_group: dict[tuple[str, str, int], tuple[int, set[str]]] = {}
    for entry in truth.entries("skill,agent,conversation", first, end):
        at = calendar.timegm(time.strptime(entry["timeframe"]["from"], "%Y-%m-%dT%H:%M:%SZ"))
        key = (entry["skillName"], names[groups[entry["agentId"]]], at - at % 86400)
        handle, conversations = by_group.get(key, (0, set()))
        by_group[key] = (handle + entry["metrics"]["handleTime"], conversations | {entry["conversationId"]})
    per_group = figures.run(db, "aht_per_skill_and_agent_group")
    assert len(per_group) == len(by_group) > 20
    for row in per_group.itertuples():
        handle, conversations = by_group[(row.skill, row.agent_group, calendar.timegm(row.day.timetuple()))]
        assert row.aht_seconds == pytest.approx(handle / len(conversations)), row
    # Occupancy: work time over time Online, never above 1, and all the work of closed shifts falls in time Online
    # (shifts wholly inside the changes read: not the first day's, whose logins came before, nor the last day's,
    # where an agent still logged in has an open state, not counted yet)
    occupancy = figures.run(db, "occupancy_per_agent_and_interval")
    since, until = occupancy["interval_start"].min() + pd.Timedelta(days=1), occupancy["interval_start"].max()
    settled = occupancy[occupancy["interval_start"].between(since, until - pd.Timedelta(days=1))]
    assert len(settled) > 1000 and settled["occupancy"].between(0, 1).all()
    all_work = db.execute(
        "select sum(worktime) from liveperson.agent_interval_metrics where intervalstart between ? and ?",
        [since, until - pd.Timedelta(days=1)],
    ).fetchone()
    assert all_work is not None and settled["work_seconds"].sum() == all_work[0] > 0
    # The same states with each agent's group: every row has it
    by_state = figures.run(db, "time_in_state_by_group")
    assert len(by_state) == len(figures.run(db, "time_in_state")) and by_state["agent_group"].notna().all()
    # Agents per skill: the simulator's human agents that are not deleted, by each skill they take
    skill_names = {skill["id"]: skill["name"] for skill in roster.truth(Settings().account, "skills")}
    agents: dict[str, int] = {}
    for user in roster.truth(Settings().account, "users"):
        if not user["deleted"] and user["userTypeId"] == 1:
            for skill in user["skillIds"]:
                agents[skill_names[skill]] = agents.get(skill_names[skill], 0) + 1
    assert dict(figures.run(db, "agents_per_skill").itertuples(index=False)) == agents
    # Local time: Berlin's wall clock for every interval, on the file's UTC timestamps and on zoned ones
    local = figures.run(db, "local_time_without_zone")
    berlin = ZoneInfo("Europe/Berlin")
    for row in local.itertuples():
        assert row.local_start == row.intervalstart.replace(tzinfo=UTC).astimezone(berlin).replace(tzinfo=None)
    with duckdb.connect() as zoned:
        zoned.execute("SET TimeZone = 'UTC'")
        zoned.execute("CREATE SCHEMA liveperson")
        zoned.execute("CREATE TABLE liveperson.skill_interval_metrics (intervalStart TIMESTAMPTZ)")
        zoned.executemany(
            "INSERT INTO liveperson.skill_interval_metrics VALUES (?)",
            [(row.intervalstart.replace(tzinfo=UTC),) for row in local.itertuples()],
        )
        assert list(figures.run(zoned, "local_time_with_zone")["local_start"]) == list(local["local_start"])
    # The dense calendar: every interval and skill, quiet ones as zero, arrivals adding up
    dense = figures.run(db, "dense_calendar")
    skills = count(db, "select count(distinct skillid) from liveperson.skill_interval_metrics")
    assert len(dense) == ((end - first) // 900) * skills
    assert dense["arrivals"].sum() == count(db, "select sum(arrivals) from liveperson.skill_interval_metrics")


def test_demo_with_a_half_set_environment_says_which_variables_it_needs(tmp_path: Path) -> None:
    done = run_demo(tmp_path, LP_ACCOUNT_ID="12345678")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "LP_CLIENT_ID, LP_CLIENT_SECRET are not set" in done.stderr


def test_aht_is_handle_time_over_closed_conversations_summed_over_the_day_never_a_mean_of_ratios() -> None:
    """The docs page's AHT: a conversation worked across two intervals (handle time in both, closed in the second)
    counts once; a workload figure (handle time over handled, per interval, averaged) would give half."""
    rows = [
        ("2026-11-25 08:00:00", "Sales", 300, 0, 1),
        ("2026-11-25 08:15:00", "Sales", 300, 1, 1),
        ("2026-11-25 10:45:00", "Sales", 240, 1, 1),
        ("2026-11-26 09:00:00", "Sales", 100, 0, 1),  # still open at the day's end: no close, no AHT
    ]
    with duckdb.connect() as db:
        db.execute("CREATE SCHEMA liveperson")
        db.execute(
            "CREATE TABLE liveperson.skill_interval_metrics (intervalStart TIMESTAMP, skillName VARCHAR, "
            "handleTime BIGINT, closedConversations BIGINT, handledConversations BIGINT, intervalDuration BIGINT, "
            "handleTimeModel VARCHAR)"
        )
        db.executemany("INSERT INTO liveperson.skill_interval_metrics VALUES (?, ?, ?, ?, ?, 15, 'IFT')", rows)
        aht = figures.run(db, "aht_per_skill_and_day")
    assert list(aht["aht_seconds"].fillna(-1)) == [(300 + 300 + 240) / 2, -1]


def test_time_in_state_splits_each_state_at_interval_boundaries_and_ends_it_at_the_agent_s_next_change() -> None:
    """The docs page's query: Online from 08:10 to 08:40 (login and default state on one millisecond), Away to
    08:50, logged out then; a second agent's last change is still open, so not counted."""
    changes = [
        (7, "LOGIN", "2026-11-25 08:10:00", -1),
        (7, "ONLINE", "2026-11-25 08:10:00", 1),
        (7, "AWAY", "2026-11-25 08:40:00", 2),
        (7, "OFFLINE", "2026-11-25 08:50:00", 3),
        (7, "LOGOUT", "2026-11-25 08:50:00", 4),
        (9, "ONLINE", "2026-11-25 08:20:00", 1),
    ]
    with duckdb.connect() as db:
        db.execute("CREATE SCHEMA liveperson")
        db.execute(
            "CREATE TABLE liveperson.agent_status_changes "
            "(agentid BIGINT, status VARCHAR, time TIMESTAMP, sequencenumber BIGINT)"
        )
        db.executemany("INSERT INTO liveperson.agent_status_changes VALUES (?, ?, ?, ?)", changes)
        rows = figures.run(db, "time_in_state").sort_values(["interval_start", "agent_id", "status"])
    found = [(r.agent_id, f"{r.interval_start:%H:%M}", r.status, float(r.seconds)) for r in rows.itertuples()]
    assert found == [
        (7, "08:00", "ONLINE", 300.0),
        (7, "08:15", "ONLINE", 900.0),
        (7, "08:30", "AWAY", 300.0),
        (7, "08:30", "ONLINE", 600.0),
        (7, "08:45", "AWAY", 300.0),
    ]


def test_the_demo_goes_on_without_status_changes_when_the_key_lacks_their_permission() -> None:
    from demo.__main__ import STATUS, readable_streams
    from integration_tests.conftest import connector_config
    from testkit.simulator import Settings, Simulator

    with Simulator(Settings(status_permission=False)) as simulator:
        config = connector_config(simulator, extra_groupings=["skill,agent"])
        assert readable_streams(config) == [stream for stream in STREAMS if stream != STATUS]
        simulator.update(status_permission=True)
        assert readable_streams(config) == STREAMS


def test_every_sql_example_of_the_docs_page_is_a_figure_the_demo_s_file_check_runs() -> None:
    """No SQL on the page escapes the tests: each block is a named figure, and each figure is checked above."""
    page = figures.DOCS_PAGE.read_text()
    checked = {
        "time_in_state",
        "time_in_state_by_group",
        "agents_per_skill",
        "aht_per_skill_and_day",
        "aht_per_skill_and_agent_group",
        "occupancy_per_agent_and_interval",
        "local_time_with_zone",
        "local_time_without_zone",
        "dense_calendar",
    }
    assert page.count("```sql\n") == len(figures.figures()) and set(figures.figures()) == checked
    source = Path(__file__).read_text()
    assert all(f'figures.run(db, "{name}")' in source or f'"{name}")' in source for name in checked)

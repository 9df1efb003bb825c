"""`make demo` end to end: PyAirbyte runs the installed connector against the simulator into DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from demo.__main__ import AGENTS_PER_SKILL, ROSTER, STREAMS, TIME_IN_STATE, TIME_IN_STATE_BY_GROUP
from testkit.simulator import Settings, roster

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
    assert len(STREAMS) == 11 and "skill_agent_interval_metrics" in STREAMS and set(ROSTER) <= set(STREAMS)
    assert "agent_status_changes" in STREAMS
    for stream in STREAMS:
        assert stream in done.stdout
    assert "Incremental sync landed" in done.stdout and "Stopped the simulator" in done.stdout
    for chart in (tmp_path / "wfm_per_skill.png", tmp_path / "wfm_agent_states.png"):
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    assert "Time in each state per agent and 15-minute interval" in done.stdout
    with duckdb.connect(str(tmp_path / "interval_metrics.duckdb"), read_only=True) as db:
        for stream in STREAMS:
            rows = count(db, f"select count(*) from liveperson.{stream}")
            distinct = count(
                db,
                f"select count(*) from (select distinct * exclude (_airbyte_raw_id, "
                f"_airbyte_extracted_at, _airbyte_meta) from liveperson.{stream})",
            )
            assert rows > (0 if stream in ROSTER else 100) and rows == distinct, stream
        # The docs page's roster joins, on the same file: every state has its agent's group; agents per skill are the
        # simulator's human agents that are not deleted, by each skill they take.
        db.execute("SET TimeZone = 'UTC'")
        by_group = db.execute(TIME_IN_STATE_BY_GROUP).fetchall()
        assert len(by_group) == len(db.execute(TIME_IN_STATE).fetchall()) > 0
        assert all(row[2] for row in by_group)
        names = {skill["id"]: skill["name"] for skill in roster.truth(Settings().account, "skills")}
        expected: dict[str, int] = {}
        for user in roster.truth(Settings().account, "users"):
            if not user["deleted"] and user["userTypeId"] == 1:
                for skill in user["skillIds"]:
                    expected[names[skill]] = expected.get(names[skill], 0) + 1
        assert dict(db.execute(AGENTS_PER_SKILL).fetchall()) == expected


def test_demo_with_a_half_set_environment_says_which_variables_it_needs(tmp_path: Path) -> None:
    done = run_demo(tmp_path, LP_ACCOUNT_ID="12345678")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "LP_CLIENT_ID, LP_CLIENT_SECRET are not set" in done.stderr


def test_the_chart_counts_quiet_hours_as_zero_and_averages_handle_time_as_a_ratio_of_sums() -> None:
    import pandas as pd

    from demo.__main__ import hourly_per_skill

    frame = pd.DataFrame(
        {
            "intervalStart": ["2026-11-25T08:00:00Z", "2026-11-25T08:15:00Z", "2026-11-25T10:45:00Z"],
            "skillName": ["Sales", "Sales", "Sales"],
            "arrivals": [3, 1, 2],
            "handledConversations": [1, 3, 2],
            "handleTime": [600, 300, 240],
        }
    )
    hourly = hourly_per_skill(frame).xs("Sales", level="skillname")
    assert list(hourly["arrivals"]) == [4, 0, 2]  # 09:00 was quiet: a zero, not a gap
    assert list(hourly["handledconversations"]) == [4, 0, 2]
    assert hourly["aht"].iloc[0] == 900 / 4 and pd.isna(hourly["aht"].iloc[1]) and hourly["aht"].iloc[2] == 120


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
        db.execute("SET TimeZone = 'UTC'")
        db.execute("CREATE SCHEMA liveperson")
        db.execute(
            "CREATE TABLE liveperson.agent_status_changes "
            "(agentid BIGINT, status VARCHAR, time TIMESTAMPTZ, sequencenumber BIGINT)"
        )
        db.executemany("INSERT INTO liveperson.agent_status_changes VALUES (?, ?, ?, ?)", changes)
        rows = db.execute(TIME_IN_STATE).fetchall()
    found = [(agent, f"{start:%H:%M}", status, float(seconds)) for agent, start, status, seconds in rows]
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

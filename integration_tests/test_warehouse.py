"""What lands in a warehouse: PyAirbyte runs the installed connector against the simulator into DuckDB."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import connector_config
from testkit.simulator import Settings, Simulator
from testkit.simulator.data import rfc3339

SCRIPT = Path(sys.executable).parent / "source-interval-metrics"
SKILL = "skill_interval_metrics"
COUNTS = ("handledconversations", "repliedconversations", "consumermessages", "agentmessages", "arrivals")


@pytest.fixture
def pyairbyte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AIRBYTE_OFFLINE_MODE", "1")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("AIRBYTE_LOGGING_ROOT", str(tmp_path / "logs"))
    import airbyte

    yield airbyte


def sync(pyairbyte: Any, cache: Any, config: dict[str, Any], write_strategy: str) -> None:
    source = pyairbyte.get_source("source-interval-metrics", config=config, local_executable=SCRIPT, streams=[SKILL])
    source.read(cache=cache, write_strategy=write_strategy, force_full_refresh=True)


def rows(cache: Any, query: str) -> list[tuple[Any, ...]]:
    """The rows `query` finds, through the cache's own connection (DuckDB allows one configuration per file)."""
    from sqlalchemy import text

    with cache.get_sql_engine().connect() as connection:
        return [tuple(row) for row in connection.execute(text(query)).fetchall()]


def test_a_changed_interval_length_lands_beside_the_first_series_in_a_deduplicated_destination(
    pyairbyte: Any, tmp_path: Path
) -> None:
    """Before the series key, the 60-minute rows replaced the :00 15-minute rows and hourly sums came out wrong."""
    from airbyte.caches import DuckDBCache

    path = tmp_path / "warehouse.duckdb"
    cache = DuckDBCache(db_path=path, schema_name="liveperson")
    start = rfc3339(int(time.time()) // 3600 * 3600 - 6 * 3600)
    with Simulator(Settings()) as simulator:
        sync(pyairbyte, cache, connector_config(simulator, start_date=start, interval_duration=15), "merge")
        quarters = rows(cache, f"select intervalstart, skillid, handledconversations from liveperson.{SKILL}")
        sync(pyairbyte, cache, connector_config(simulator, start_date=start, interval_duration=60), "merge")
    by_length = dict(rows(cache, f"select intervalduration, count(*) from liveperson.{SKILL} group by 1"))
    assert by_length[15] == len(quarters) > 0 and by_length[60] > 0
    kept = rows(
        cache,
        f"select intervalstart, skillid, handledconversations from liveperson.{SKILL} where intervalduration = 15",
    )
    assert sorted(kept) == sorted(quarters)  # not one 15-minute row overwritten
    # Each hour of the 60-minute series adds up to its four quarters of the 15-minute series.
    hourly = rows(
        cache,
        f"""select h.intervalstart, h.skillid, h.handledconversations - coalesce(sum(q.handledconversations), 0)
            from liveperson.{SKILL} h left join liveperson.{SKILL} q
              on q.intervalduration = 15 and q.skillid = h.skillid
             and q.intervalstart >= h.intervalstart and q.intervalstart < h.intervalstart + interval 1 hour
            where h.intervalduration = 60 group by 1, 2, h.handledconversations""",
    )
    assert hourly and all(difference <= 0 for *_, difference in hourly)


def test_counts_land_as_integers_and_times_as_timestamps(pyairbyte: Any, tmp_path: Path) -> None:
    from airbyte.caches import DuckDBCache

    path = tmp_path / "warehouse.duckdb"
    cache = DuckDBCache(db_path=path, schema_name="liveperson")
    with Simulator(Settings()) as simulator:
        start = rfc3339(int(time.time()) // 3600 * 3600 - 3 * 3600)
        sync(pyairbyte, cache, connector_config(simulator, start_date=start), "append")
    types = dict(
        rows(
            cache,
            f"select column_name, data_type from information_schema.columns where table_name = '{SKILL}'",
        )
    )
    assert {column: types[column] for column in (*COUNTS, "closedconversations", "skillid", "intervalduration")} == {
        column: "BIGINT" for column in (*COUNTS, "closedconversations", "skillid", "intervalduration")
    }
    assert types["intervalstart"].startswith("TIMESTAMP") and types["handletime"].startswith(("DECIMAL", "DOUBLE"))
    assert os.path.getsize(path) > 0

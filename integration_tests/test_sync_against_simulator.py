"""The installed connector against the simulator: what it emits equals the ground truth, exactly."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

from integration_tests.conftest import (
    CLEAN,
    EVERY_STREAM,
    EXTRA_GROUPINGS,
    STATUS,
    catalog,
    compare,
    connector_config,
    errors,
    expected_records,
    final_states,
    key,
    readable_start,
    records,
    requested_end,
    run_connector,
)
from testkit.simulator import Simulator
from testkit.simulator.data import rfc3339


def test_full_sync_of_every_stream_equals_the_ground_truth(any_reading: Simulator, tmp_path: Path) -> None:
    simulator = any_reading
    simulator.update(conversations_per_day=300)
    start = int(time.time()) // 86400 * 86400 - 2 * 86400
    output: list[str] = []
    messages = run_connector(
        tmp_path,
        "read",
        connector_config(simulator, start_date=rfc3339(start), page_size=100, extra_groupings=EXTRA_GROUPINGS),
        catalog(list(EVERY_STREAM), sync_mode="full_refresh"),
        output=output,
    )
    assert errors(messages) == []
    for metric in ("arrivals", "closedConversations"):
        refused = metric in simulator.settings.skill_metrics_refused
        assert output[0].count(f"LivePerson refused the metric {metric}") == (1 if refused else 0)
    assert (simulator.stats["pages_without_intervals"] > 0) == (simulator.settings.pages_without_intervals > 0)
    assert ("keeps less history than the 14 days" in output[0]) == bool(simulator.settings.history_hours)
    end, readable = requested_end(simulator), readable_start(simulator, start)
    for stream in EVERY_STREAM:
        emitted = records(messages, stream)
        assert emitted, stream
        assert compare(stream, emitted, expected_records(simulator, stream, readable, end)) == CLEAN, stream


def test_incremental_syncs_pick_up_where_the_state_left_off(any_reading: Simulator, tmp_path: Path) -> None:
    simulator = any_reading
    start = int(time.time()) // 1800 * 1800 - 30 * 3600
    config = connector_config(
        simulator,
        start_date=rfc3339(start),
        lookback_window="PT2H",
        interval_duration=30,
        extra_groupings=EXTRA_GROUPINGS,
    )
    first = run_connector(tmp_path, "read", config, catalog(list(EVERY_STREAM)))
    assert errors(first) == []
    states = final_states(first)
    assert len(states) == len(EVERY_STREAM)
    simulator.requests.clear()
    second = run_connector(tmp_path, "read", config, catalog(list(EVERY_STREAM)), state=states)
    assert errors(second) == []
    end = requested_end(simulator)
    for state in states:
        stream = state["stream"]["stream_descriptor"]["name"]
        saved = calendar.timegm(time.strptime(state["stream"]["stream_state"]["intervalStart"], "%Y-%m-%dT%H:%M:%SZ"))
        reread = expected_records(simulator, stream, saved - 2 * 3600, end, interval=30)
        assert compare(stream, records(second, stream), reread) == CLEAN, stream
        union = {key(stream, r): r for r in records(first, stream) + records(second, stream)}
        everything = expected_records(simulator, stream, readable_start(simulator, start), end, interval=30)
        assert compare(stream, list(union.values()), everything) == CLEAN, stream


def test_check_succeeds_against_the_simulator(simulator: Simulator, tmp_path: Path) -> None:
    messages = run_connector(tmp_path, "check", connector_config(simulator))
    assert [m["connectionStatus"]["status"] for m in messages if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]


def test_pointing_domain_alone_at_the_simulator_is_enough(simulator: Simulator, tmp_path: Path) -> None:
    config = {k: v for k, v in connector_config(simulator).items() if k != "domain_api_url"}
    config.update(domain=simulator.url, start_date=rfc3339(int(time.time()) // 900 * 900 - 3 * 3600))
    checked = run_connector(tmp_path, "check", config)
    assert [m["connectionStatus"]["status"] for m in checked if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]
    messages = run_connector(tmp_path, "read", config, catalog(["skill_interval_metrics"]))
    assert errors(messages) == [] and records(messages, "skill_interval_metrics")
    assert simulator.stats["domain"] == 0


def test_num_workers_is_the_most_requests_under_way_at_once(any_reading: Simulator, tmp_path: Path) -> None:
    """`num_workers` windows are fetched in parallel: LivePerson never has more of the connector's requests under way
    at once (interval metrics and status changes together, resends and retries included), and it does have that
    many: under every reading."""
    assert_most_under_way(any_reading, tmp_path, workers=3)


def test_one_worker_sends_one_request_at_a_time(simulator: Simulator, tmp_path: Path) -> None:
    assert_most_under_way(simulator, tmp_path, workers=1)


def assert_most_under_way(simulator: Simulator, tmp_path: Path, workers: int) -> None:
    simulator.update(latency=0.05)
    start = int(time.time()) // 86400 * 86400 - 3 * 86400
    config = connector_config(simulator, start_date=rfc3339(start), page_size=50, num_workers=workers)
    streams = ["skill_interval_metrics", "conversation_interval_metrics", STATUS]
    messages = run_connector(tmp_path, "read", config, catalog(streams, sync_mode="full_refresh"))
    assert errors(messages) == [] and all(records(messages, stream) for stream in streams)
    assert simulator.stats["most_under_way"] == workers

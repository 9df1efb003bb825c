"""Never lose an interval: 202, rate limits, outages, refusals and interrupted syncs, against the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import (
    CLEAN,
    SCRIPT,
    STREAMS,
    catalog,
    compare,
    connector_config,
    errors,
    expected_records,
    final_states,
    key,
    killed_after,
    readable_start,
    records,
    requested_end,
    run_connector,
)
from testkit.simulator import Simulator
from testkit.simulator.data import rfc3339
from testkit.simulator.routes import epoch

SKILL = "skill_interval_metrics"


def hours_ago(hours: float, step: int = 900) -> int:
    return int(time.time() - hours * 3600) // step * step


def union(stream: str, *syncs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({key(stream, r): r for sync in syncs for r in records(sync, stream)}.values())


def test_intervals_in_progress_during_one_sync_are_read_by_the_next(any_reading: Simulator, tmp_path: Path) -> None:
    simulator = any_reading
    start = hours_ago(10)
    config = connector_config(simulator, start_date=rfc3339(start))
    simulator.update(processing_delay=3 * 3600)
    first = run_connector(tmp_path, "read", config, catalog())
    assert errors(first) == [] and simulator.stats["accepted"] > 0
    simulator.update(processing_delay=0)
    simulator.requests.clear()
    second = run_connector(tmp_path, "read", config, catalog(), state=final_states(first))
    assert errors(second) == []
    end = requested_end(simulator)
    for stream in STREAMS:
        assert all(r["intervalStart"] < rfc3339(end - 3 * 3600) for r in records(first, stream)), stream
        expected = expected_records(simulator, stream, start, end)
        assert compare(stream, union(stream, first, second), expected) == CLEAN, stream


def test_a_server_error_is_retried_after_five_seconds_end_to_end(simulator: Simulator, tmp_path: Path) -> None:
    start = hours_ago(2)
    simulator.update(fault_sequence=[500])
    began = time.monotonic()
    messages = run_connector(tmp_path, "read", connector_config(simulator, start_date=rfc3339(start)), catalog([SKILL]))
    assert time.monotonic() - began >= 5
    assert errors(messages) == [] and simulator.stats["status:500"] == 1
    assert (
        compare(SKILL, records(messages, SKILL), expected_records(simulator, SKILL, start, requested_end(simulator)))
        == CLEAN
    )


def test_rate_limits_slow_the_sync_down_without_losing_anything(simulator: Simulator, tmp_path: Path) -> None:
    start = hours_ago(30)
    simulator.update(fault_sequence=[429, 429, 429])
    messages = run_connector(tmp_path, "read", connector_config(simulator, start_date=rfc3339(start)), catalog([SKILL]))
    assert errors(messages) == [] and simulator.stats["status:429"] == 3
    assert (
        compare(SKILL, records(messages, SKILL), expected_records(simulator, SKILL, start, requested_end(simulator)))
        == CLEAN
    )


def test_an_outage_past_the_retry_budget_ends_in_one_transient_error(
    simulator: Simulator, tmp_path: Path, short_pauses: None
) -> None:
    simulator.update(fault_rates={503: 1.0})
    messages = run_connector(
        tmp_path, "read", connector_config(simulator, start_date=rfc3339(hours_ago(2))), catalog([SKILL])
    )
    said = (
        f"LivePerson at {simulator.host} still failed after 3 retries, 5, 10 and 15 s apart (HTTP 503: Service "
        "unavailable). Try the sync again later: it resumes from the state saved."
    )
    assert [(e["failure_type"], e["message"]) for e in errors(messages)] == [
        ("transient_error", said),
        ("transient_error", f"1 stream(s) did not sync. {SKILL}: {said}"),
    ]
    assert simulator.stats["status:503"] == 4 and records(messages, SKILL) == []


def test_refusals_end_in_one_config_error_that_says_what_to_check(simulator: Simulator, tmp_path: Path) -> None:
    simulator.update(has_permission=False)
    messages = run_connector(
        tmp_path, "read", connector_config(simulator, start_date=rfc3339(hours_ago(2))), catalog([SKILL])
    )
    (error,) = [e for e in errors(messages) if e["message"].startswith("LivePerson")]
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith("LivePerson denied access to account 123456 (HTTP 403")
    assert "Workforce Management" in error["message"]


def test_an_unknown_account_is_named(simulator: Simulator, tmp_path: Path) -> None:
    messages = run_connector(tmp_path, "read", connector_config(simulator, account_id="999"), catalog([SKILL]))
    said = "LivePerson's Domain API does not know account '999' (HTTP 404). Check the Account ID."
    assert [(e["failure_type"], e["message"]) for e in errors(messages)] == [
        ("config_error", said),  # the stream's failure, at its first request
        ("config_error", f"1 stream(s) did not sync. {SKILL}: {said}"),  # the sync's last line
    ]


def test_a_state_the_connector_did_not_write_is_refused_in_one_line(simulator: Simulator, tmp_path: Path) -> None:
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": SKILL}, "stream_state": {"intervalStart": "last tuesday"}},
        }
    ]
    messages = run_connector(tmp_path, "read", connector_config(simulator), catalog([SKILL]), state=state)
    (error,) = errors(messages)
    assert error["failure_type"] == "config_error" and error["message"].startswith(
        "skill_interval_metrics: the saved state {'intervalStart': 'last tuesday'} is not an RFC 3339 date-time."
    )
    (tmp_path / "broken.json").write_text("{not json")
    done = subprocess.run(
        [
            str(SCRIPT),
            "read",
            "--config",
            str(tmp_path / "config.json"),
            "--catalog",
            str(tmp_path / "catalog.json"),
            "--state",
            str(tmp_path / "broken.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    (line,) = [json.loads(x) for x in done.stdout.splitlines() if '"ERROR"' in x]
    assert done.returncode == 1 and line["trace"]["error"]["failure_type"] == "config_error"
    assert "Traceback" not in done.stdout


@pytest.mark.parametrize(
    ("stream", "state", "lacks"),
    [
        (SKILL, {"updated_at": "2026-11-24T00:00:00Z"}, "intervalStart"),
        ("agent_status_changes", {"intervalStart": "2026-11-24T00:00:00Z"}, "time"),
    ],
)
def test_another_connector_s_state_is_refused_naming_the_stream_and_the_key_it_lacks(
    simulator: Simulator, tmp_path: Path, stream: str, state: dict[str, str], lacks: str
) -> None:
    saved = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": state}}]
    messages = run_connector(tmp_path, "read", connector_config(simulator), catalog([stream]), state=saved)
    (error,) = errors(messages)
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith(f"{stream}: the saved state {state!r} was not written by this connector")
    assert f"it has no '{lacks}'" in error["message"]
    assert not [m for m in messages if m["type"] in ("RECORD", "STATE")]


def test_a_stream_once_synced_in_full_refresh_reads_from_the_start_when_switched_to_incremental(
    simulator: Simulator, tmp_path: Path
) -> None:
    """The state the CDK saved for the full refresh is this connector's own: neither refused nor carried on."""
    start = hours_ago(3)
    saved = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": SKILL}, "stream_state": {"__ab_no_cursor_state_message": True}},
        }
    ]
    config = connector_config(simulator, start_date=rfc3339(start))
    messages = run_connector(tmp_path, "read", config, catalog([SKILL]), state=saved)
    assert errors(messages) == []
    expected = expected_records(simulator, SKILL, start, requested_end(simulator))
    assert compare(SKILL, records(messages, SKILL), expected) == CLEAN
    (state,) = final_states(messages)
    assert set(state["stream"]["stream_state"]) == {"intervalStart"}


def start_reading(simulator: Simulator, tmp_path: Path, start: int, workers: int) -> subprocess.Popen[str]:
    """A read of every stream from `start`, slowed down (50 ms a request) so that it can be stopped half way."""
    simulator.update(latency=0.05)
    config = connector_config(simulator, start_date=rfc3339(start), page_size=100, num_workers=workers)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog()))
    return subprocess.Popen(
        [str(SCRIPT), "read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def assert_resumed_without_loss(simulator: Simulator, tmp_path: Path, before: list[dict[str, Any]], start: int) -> None:
    """A read from the last state `before` emitted: together they hold every record once, and nothing else."""
    simulator.update(latency=0)
    simulator.requests.clear()
    config = json.loads((tmp_path / "config.json").read_text())
    after = run_connector(tmp_path, "read", config, catalog(), state=final_states(before))
    assert errors(after) == []
    end = requested_end(simulator)
    for stream in STREAMS:
        for sync in (before, after):
            emitted = [key(stream, r) for r in records(sync, stream)]
            assert len(emitted) == len(set(emitted)), f"{stream}: a record was emitted twice in one sync"
        expected = expected_records(simulator, stream, readable_start(simulator, start), end)
        assert compare(stream, union(stream, before, after), expected) == CLEAN


def test_a_sync_killed_midway_resumes_from_its_last_state_without_losing_anything(
    any_reading: Simulator, tmp_path: Path
) -> None:
    start = hours_ago(3 * 24, step=86400)
    before = killed_after(start_reading(any_reading, tmp_path, start, workers=2), states=5)
    assert_resumed_without_loss(any_reading, tmp_path, before, start)


@pytest.mark.parametrize("reader", ["reading", "stopped-reading"])
def test_ctrl_c_ends_a_sync_at_once_without_a_traceback_and_it_resumes_from_its_last_state(
    simulator: Simulator, tmp_path: Path, reader: str
) -> None:
    """SIGINT to the process group, as a terminal's Ctrl-C sends it, while the worker threads are busy; also once the
    reader has stopped reading, so that the output pipe and the CDK's queue are full and every thread is blocked."""
    start = hours_ago(3 * 24, step=86400)
    process = start_reading(simulator, tmp_path, start, workers=4)
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if sum('"type":"STATE"' in x for x in lines) >= 3:
            break
    if reader == "stopped-reading":
        time.sleep(2)
    os.killpg(process.pid, signal.SIGINT)
    interrupted = time.monotonic()
    if reader == "stopped-reading":
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the sync hung after Ctrl-C")
    rest, stderr = process.stdout.read(), process.stderr.read()  # the pipes close when the process ends
    process.wait(timeout=30)
    assert time.monotonic() - interrupted < 4, "the sync did not end within a couple of seconds"
    assert process.returncode == 130 and "Traceback" not in stderr + rest
    output = lines + rest.splitlines(keepends=True)
    assert all(line.endswith("\n") for line in output[:-1]), "a line was cut off before the end"
    before = [json.loads(line) for line in output if line.startswith("{") and line.endswith("\n")]
    assert_resumed_without_loss(simulator, tmp_path, before, start)


def test_a_state_older_than_the_api_keeps_reads_from_the_oldest_interval_it_has(
    any_reading: Simulator, tmp_path: Path
) -> None:
    simulator = any_reading
    simulator.update(conversations_per_day=60)
    stale = [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"intervalStart": old}}}
        for name, old in ((name, rfc3339(hours_ago(20 * 24))) for name in STREAMS)
    ]
    output: list[str] = []
    messages = run_connector(
        tmp_path, "read", connector_config(simulator), catalog(), state=stale, output=output, timeout=600
    )
    assert errors(messages) == []
    oldest = min(epoch(query["from"], "from") for query in simulator.answered)
    kept = simulator.settings.history_hours * 3600 or 14 * 86400
    assert time.time() - kept < oldest <= time.time() - kept + 1800
    assert output[0].count("no longer keeps (it keeps 14 days)") == len(STREAMS)
    end = requested_end(simulator)
    for stream in STREAMS:
        assert compare(stream, records(messages, stream), expected_records(simulator, stream, oldest, end)) == CLEAN


@pytest.mark.parametrize("workers", [1, 10])
def test_an_outage_mid_read_ends_the_sync_within_90_seconds_in_one_line_and_the_rerun_loses_nothing(
    tmp_path: Path, workers: int
) -> None:
    """LivePerson's hosts stop answering (connections refused) half way through a read, with its real pauses: the
    first request to use up its three retries ends every other window's at once (not 5, 10 and 15 s each, one after
    another), in one line naming the host; the states saved hold, and a rerun once it is back loses nothing."""
    start = hours_ago(7 * 24, step=86400)
    first = Simulator().start()
    process = start_reading(first, tmp_path, start, workers)
    assert process.stdout is not None
    before: list[dict[str, Any]] = []
    for line in process.stdout:
        if line.startswith("{"):
            before.append(json.loads(line))
        if any(m["type"] == "STATE" for m in before):
            break
    first.stop()
    stopped = time.monotonic()
    before += [json.loads(line) for line in process.stdout if line.startswith("{")]
    process.wait(timeout=300)
    took = time.monotonic() - stopped
    assert took < 90, f"the sync took {took:.0f} s to end after LivePerson stopped answering"
    said = f"LivePerson at {first.host} still failed after 3 retries, 5, 10 and 15 s apart (ConnectionError"
    failures = errors(before)
    assert process.returncode == 1 and len(failures) == 2, failures  # the first stream's, and the sync's last line
    assert all(e["failure_type"] == "transient_error" and said in e["message"] for e in failures), failures
    port = int(first.host.rsplit(":", 1)[1])
    with Simulator(port=port) as back:
        assert_resumed_without_loss(back, tmp_path, before, start)

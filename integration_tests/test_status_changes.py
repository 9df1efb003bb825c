"""agent_status_changes against the simulator, under every reading of its method page: what a full, an incremental and
a killed-then-resumed sync emit equals the simulator's truth, each change once."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import (
    SCRIPT,
    STATUS,
    catalog,
    connector_config,
    errors,
    expected_records,
    final_states,
    killed_after,
    records,
    requested_end,
    run_connector,
)
from source_interval_metrics.components.request import PAGE_SIZES_TO_TRY
from testkit.simulator import Settings, Simulator
from testkit.simulator.data import rfc3339
from testkit.simulator.status import millis_of

STATUS_NAMES = {
    (3, 0): "LOGIN",
    (4, 0): "LOGOUT",
    (1, 1): "OFFLINE",
    (1, 2): "ONLINE",
    (1, 3): "OCCUPIED",
    (1, 4): "AWAY",
}
KEY = ("accountId", "agentId", "time", "statusType", "statusSubType", "sequenceNumber")
# Where the Get Status Changes page can be read two ways (see `reference/agent-status-changes-api.md`, "What the page
# leaves open"), the simulator has a setting per reading; every test here runs under each.
STATUS_READINGS: dict[str, dict[str, Any]] = {
    "as-the-connector-reads-it": {},
    "window-closed-at-to": {"status_window": "closed"},
    "window-open-at-from": {"status_window": "open_start"},
    "by-agent-then-time": {"status_order": "agent"},
    "no-order-pages-of-100": {"status_order": "shuffled", "status_max_limit": 100},
    "an-empty-last-page-links-keep-v": {"status_paging_end": "empty_page", "status_link": "with_v"},
    "links-name-another-host": {"status_link": "other_host", "status_max_limit": 250},
    "no-reason-as-minus-one-millis-as-numbers": {"status_reason_form": "minus_one", "status_millis_as": "number"},
    "no-reason-fields-ids-as-numbers": {"status_reason_form": "absent", "string_ids": False},
    "history-of-2-days-said-as-an-age": {"status_history_days": 2},
    "history-of-2-days-said-as-a-time": {"status_history_days": 2, "history_refusal": "time"},
    "history-of-2-days-unsaid": {"status_history_days": 2, "history_refusal": "unsaid"},
    "pages-of-100-history-of-2-days-refused-as-bad-request": {
        "status_max_limit": 100,
        "status_history_days": 2,
        "bare_refusals": True,
    },
}
DAY = 86400


@pytest.fixture(params=list(STATUS_READINGS))
def status_reading(request: pytest.FixtureRequest, short_pauses: None) -> Iterator[Simulator]:
    with Simulator(Settings(**STATUS_READINGS[request.param])) as running:
        yield running


def expected_changes(simulator: Simulator, start: int, end: int) -> list[dict[str, Any]]:
    """The contract's record of every change in [start, end) (seconds), from the simulator's truth."""
    expected = []
    for change in simulator.status_changes(start * 1000, end * 1000):
        record = {"accountId": simulator.settings.account, **change}
        record["status"] = STATUS_NAMES.get((change["statusType"], change["statusSubType"]), "UNKNOWN")
        if not change["statusReasonId"]:
            record["statusReasonId"] = record["statusReasonText"] = None
        expected.append(record)
    return expected


def key(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[name] for name in KEY)


def compare(emitted: list[dict[str, Any]], expected: list[dict[str, Any]]) -> dict[str, int]:
    """Missing, extra and duplicate changes by primary key, and changes whose fields differ (an absent field is a
    null one: Airbyte's serializer leaves nulls out)."""
    by_key, wanted = {key(r): r for r in emitted}, {key(r): r for r in expected}
    fields = {name for record in [*emitted, *expected] for name in record}

    def same(one: dict[str, Any], other: dict[str, Any]) -> bool:
        return all(one.get(name) == other.get(name) for name in fields)

    return {
        "missing": len(wanted.keys() - by_key.keys()),
        "extra": len(by_key.keys() - wanted.keys()),
        "duplicates": len(emitted) - len(by_key),
        "different": sum(1 for k, r in wanted.items() if k in by_key and not same(by_key[k], r)),
    }


CLEAN = {"missing": 0, "extra": 0, "duplicates": 0, "different": 0}


def readable_from(simulator: Simulator, start: int) -> int:
    """`start`, or where the simulator keeps less: the oldest moment its history holds at the sync's first answer,
    plus the connector's 15 minutes to spare, rounded up to the hour."""
    days = simulator.settings.status_history_days
    if start >= time.time() - days * DAY:
        return start
    first = min(millis_of(query["from"]) // 1000 + 1 for query in simulator.status_answered)
    kept_since = time.time() - days * DAY  # now, a few seconds after the sync asked: 10 minutes' leeway below
    assert kept_since - 600 < first <= kept_since + 900 + 3600 + 60, (rfc3339(first), rfc3339(int(kept_since)))
    return first


def status_end(simulator: Simulator) -> int:
    """The exclusive end of what the sync asked for: its last `to`."""
    return max(millis_of(query["to"]) // 1000 for query in simulator.status_requests)


def midnight(days_ago: int) -> int:
    return int(time.time()) // DAY * DAY - days_ago * DAY


def test_a_full_sync_equals_the_truth_with_each_boundary_change_once(status_reading: Simulator, tmp_path: Path) -> None:
    simulator, start = status_reading, midnight(3)
    output: list[str] = []
    messages = run_connector(
        tmp_path,
        "read",
        connector_config(simulator, start_date=rfc3339(start)),
        catalog([STATUS], sync_mode="full_refresh"),
        output=output,
    )
    assert errors(messages) == []
    readable = readable_from(simulator, start)
    assert ("can no longer be read" in output[0]) == (readable > start)
    expected = expected_changes(simulator, readable, status_end(simulator))
    on_a_boundary = [r for r in expected if r["time"].endswith("T00:00:00.000Z")]
    assert on_a_boundary, "the truth has a change on a window boundary"
    assert compare(records(messages, STATUS), expected) == CLEAN
    assert all(query["v"] == "2" for query in simulator.status_requests)
    largest = simulator.settings.status_max_limit
    refused = [query for query in simulator.status_requests if int(query["limit"]) > largest]
    # at most the 4 windows under way when it is learned, and the documented sizes larger than LivePerson's largest,
    # tried on a window, and where that window is also older than LivePerson keeps, on a recent window too
    probes = sum(size > largest for size in PAGE_SIZES_TO_TRY)
    assert len(refused) <= 4 + 2 * probes + 1, "a too large limit is learned once, not refused window after window"


def test_incremental_syncs_pick_up_where_the_state_left_off(status_reading: Simulator, tmp_path: Path) -> None:
    simulator, start = status_reading, midnight(3) - 5 * 3600
    config = connector_config(simulator, start_date=rfc3339(start), lookback_window="PT2H")
    first = run_connector(tmp_path, "read", config, catalog([STATUS]))
    assert errors(first) == []
    (state,) = final_states(first)
    saved = millis_of(state["stream"]["stream_state"]["time"]) // 1000
    assert saved <= time.time()
    simulator.status_requests.clear()
    second = run_connector(tmp_path, "read", config, catalog([STATUS]), state=[state])
    assert errors(second) == []
    end = status_end(simulator)
    assert compare(records(second, STATUS), expected_changes(simulator, saved - 2 * 3600, end)) == CLEAN
    union = {key(r): r for r in records(first, STATUS) + records(second, STATUS)}
    everything = expected_changes(simulator, readable_from(simulator, start), end)
    assert compare(list(union.values()), everything) == CLEAN


def test_changes_that_show_up_late_are_caught_by_the_next_sync(short_pauses: None, tmp_path: Path) -> None:
    """Every fifth change shows up only 5 hours after it happened (LivePerson promises one hour; five make sure some
    are held back whatever the time of day) during the first sync; by the second, whose lookback window is longer
    than the delay, they have shown up, and are read. The default lookback, one hour, matches LivePerson's delay."""
    with Simulator(Settings(status_late_seconds=5 * 3600)) as simulator:
        start = midnight(2)
        config = connector_config(simulator, start_date=rfc3339(start), lookback_window="PT6H")
        first = run_connector(tmp_path, "read", config, catalog([STATUS]))
        assert errors(first) == []
        held_back = compare(records(first, STATUS), expected_changes(simulator, start, status_end(simulator)))
        simulator.update(status_late_seconds=0)
        second = run_connector(tmp_path, "read", config, catalog([STATUS]), state=final_states(first))
        assert errors(second) == []
        union = {key(r): r for r in records(first, STATUS) + records(second, STATUS)}
        assert compare(list(union.values()), expected_changes(simulator, start, status_end(simulator))) == CLEAN
    assert held_back["missing"] > 0, "some changes were held back during the first sync"
    assert held_back["extra"] == held_back["duplicates"] == held_back["different"] == 0


def test_a_sync_killed_midway_resumes_from_its_last_state(status_reading: Simulator, tmp_path: Path) -> None:
    """Three windows of five days, read at once in pages of 300 at most, 100 ms a page: killed when the first window
    is done, the others are part-way."""
    simulator, start = status_reading, midnight(12)
    simulator.update(latency=0.1, status_max_limit=min(simulator.settings.status_max_limit, 300))
    config = connector_config(simulator, start_date=rfc3339(start), num_workers=3)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog([STATUS])))
    process = subprocess.Popen(
        [str(SCRIPT), "read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    before = killed_after(process, states=1)
    simulator.update(latency=0)
    simulator.status_requests.clear()
    after = run_connector(tmp_path, "read", config, catalog([STATUS]), state=final_states(before))
    assert errors(after) == []
    for sync in (before, after):
        emitted = [key(r) for r in records(sync, STATUS)]
        assert len(emitted) == len(set(emitted)), "a change was emitted twice in one sync"
    union = {key(r): r for r in records(before, STATUS) + records(after, STATUS)}
    expected = expected_changes(simulator, readable_from(simulator, start), status_end(simulator))
    assert compare(list(union.values()), expected) == CLEAN
    assert len(records(before, STATUS)) < len(expected), "the first sync was stopped before it was done"


@pytest.mark.parametrize("denial", [401, 403])
def test_without_the_permission_only_the_status_stream_fails_and_check_says_so(
    simulator: Simulator, tmp_path: Path, denial: int
) -> None:
    simulator.update(status_permission=False, status_denial=denial, conversations_per_day=100)
    start = midnight(1)
    config = connector_config(simulator, start_date=rfc3339(start))
    messages = run_connector(tmp_path, "read", config, catalog(["skill_interval_metrics", STATUS]))
    failed = [error for error in errors(messages) if error.get("stream_descriptor")]
    assert [error["stream_descriptor"]["name"] for error in failed] == [STATUS]
    assert failed[0]["failure_type"] == "config_error"
    assert "Data > Workforce Management > Agent Status Changes" in failed[0]["message"]
    skill = records(messages, "skill_interval_metrics")
    assert len(skill) == len(expected_records(simulator, "skill_interval_metrics", start, requested_end(simulator)))
    checked = run_connector(tmp_path, "check", config)
    (status,) = [m["connectionStatus"] for m in checked if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "SUCCEEDED"
    assert status["message"].startswith("agent_status_changes cannot be read: ")
    assert "Agent Status Changes permission" in status["message"]

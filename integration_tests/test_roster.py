"""The roster (users, skills, agent groups, profiles, away reasons) against the simulator, under every form its pages
say LivePerson may answer in: each stream exact, types included; deleted items present; every fact joins; a missing
permission fails its stream alone, and `check` says so."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import catalog, connector_config, errors, records, run_connector
from testkit.simulator import Settings, Simulator, roster
from testkit.simulator.data import rfc3339

ROSTER = list(roster.KINDS.values())
# Where the Account Configuration pages disagree (reference/account-config-api.md, "What varies"), one reading each.
ROSTER_READINGS: dict[str, dict[str, Any]] = {
    "as-the-connector-reads-it": {},
    "values-as-strings": {"roster_values": "strings"},
    "member-of-a-list-reason-as-name-state-lower": {
        "roster_member_of": "list",
        "roster_reason_text": "name",
        "roster_state_case": "lower",
    },
    "strings-member-of-a-list-state-upper": {
        "roster_values": "strings",
        "roster_member_of": "list",
        "roster_state_case": "upper",
    },
}


@pytest.fixture(params=list(ROSTER_READINGS))
def roster_reading(request: pytest.FixtureRequest, short_pauses: None) -> Iterator[Simulator]:
    with Simulator(Settings(**ROSTER_READINGS[request.param])) as running:
        yield running


def typed(value: Any) -> str:
    """A value with its JSON type: 1 and "1", True and "true", differ."""
    return json.dumps(value, sort_keys=True)


def read_roster(simulator: Simulator, tmp_path: Path) -> list[dict[str, Any]]:
    return run_connector(tmp_path, "read", connector_config(simulator), catalog(ROSTER, sync_mode="full_refresh"))


def assert_exact(simulator: Simulator, kind: str, emitted: list[dict[str, Any]]) -> None:
    """Every item once, each truth field with its value and type; `memberOf` kept in the form LivePerson sent it."""
    truth = {item["id"]: item for item in roster.truth(simulator.settings.account, kind)}
    by_id = {record["id"]: record for record in emitted}
    assert len(emitted) == len(by_id) == len(truth) and by_id.keys() == truth.keys(), kind
    for item_id, expected in truth.items():
        got = by_id[item_id]
        for field, value in expected.items():
            if field == "memberOf" and simulator.settings.roster_member_of == "list":
                value = [value] if value is not None else None
            if field == "memberOf" and value is None:
                assert "memberOf" not in got, (kind, item_id)
                continue
            assert typed(got.get(field)) == typed(value), (kind, item_id, field, got.get(field), value)


def test_each_roster_stream_equals_the_truth_types_included(roster_reading: Simulator, tmp_path: Path) -> None:
    messages = read_roster(roster_reading, tmp_path)
    assert errors(messages) == []
    for kind in ROSTER:
        emitted = records(messages, kind)
        assert_exact(roster_reading, kind, emitted)
        assert any(record["deleted"] is True for record in emitted), f"{kind}: deleted items are asked for and kept"
    users = records(messages, "users")
    assert sum(user["deleted"] is True for user in users) == roster.DELETED_AGENTS
    assert sum(skill["deleted"] is True for skill in records(messages, "skills")) == 1
    reasons = records(messages, "agent_status_reasons")
    assert {reason["state"] for reason in reasons} == {"AWAY", "ONLINE"}
    if roster_reading.settings.roster_reason_text == "name":  # a field LivePerson sends is kept beside `text`
        assert all(reason["name"] == reason["text"] for reason in reasons)
    for kind, query in roster_reading.roster_requests:
        assert query.get("include_deleted") == "true" and query.get("select"), (kind, query)
        assert "password" not in query["select"].lower()


def test_every_fact_joins_to_the_roster(simulator: Simulator, tmp_path: Path) -> None:
    """Two days of agent and skill intervals and of status changes: every id they name has its roster row, the two
    deleted agents' among them."""
    start = rfc3339(int(time.time()) // 86400 * 86400 - 86400)
    facts = ["agent_interval_metrics", "skill_interval_metrics", "agent_group_interval_metrics", "agent_status_changes"]
    config = connector_config(simulator, start_date=start)
    messages = run_connector(
        tmp_path,
        "read",
        config,
        catalog([*facts, *ROSTER], sync_mode="full_refresh"),
        timeout=600,
    )
    assert errors(messages) == []
    rows = {kind: {record["id"] for record in records(messages, kind)} for kind in ROSTER}
    agents = records(messages, "agent_interval_metrics")
    changes = records(messages, "agent_status_changes")
    assert agents and changes
    assert {r["agentId"] for r in agents} | {r["agentId"] for r in changes} <= rows["users"]
    assert {r["skillId"] for r in records(messages, "skill_interval_metrics")} <= rows["skills"]
    groups = {r["agentGroupId"] for r in records(messages, "agent_group_interval_metrics")}
    groups |= {r["agentGroupId"] for r in changes}
    members = {u.get("agentGroupId") for u in records(messages, "users")} - {None}  # a null field is left out
    assert groups and groups | members <= rows["agent_groups"]
    reasons = {r.get("statusReasonId") for r in changes} - {None}
    assert reasons and reasons <= rows["agent_status_reasons"]
    deleted = {u["id"] for u in records(messages, "users") if u["deleted"]}
    assert deleted and deleted <= {r["agentId"] for r in agents} | {r["agentId"] for r in changes}


@pytest.mark.parametrize("denial", [401, 403])
def test_without_the_users_permission_users_alone_fails_and_check_says_so(
    denial: int, short_pauses: None, tmp_path: Path
) -> None:
    with Simulator(Settings(roster_denied=("users",), roster_denial=denial)) as simulator:
        messages = read_roster(simulator, tmp_path)
        failed = [error for error in errors(messages) if error.get("stream_descriptor")]
        assert [error["stream_descriptor"]["name"] for error in failed] == ["users"]
        assert failed[0]["failure_type"] == "config_error" and "users.external" in failed[0]["message"]
        assert records(messages, "users") == []
        for kind in ROSTER[1:]:
            assert_exact(simulator, kind, records(messages, kind))
        (status,) = [
            m["connectionStatus"]
            for m in run_connector(tmp_path, "check", connector_config(simulator))
            if m["type"] == "CONNECTION_STATUS"
        ]
    assert status["status"] == "SUCCEEDED"
    assert "users cannot be read" in status["message"] and "users.external" in status["message"]


def test_a_method_without_a_documented_scope_names_the_privilege_its_page_names(
    short_pauses: None, tmp_path: Path
) -> None:
    with Simulator(Settings(roster_denied=("agent_status_reasons",))) as simulator:
        messages = read_roster(simulator, tmp_path)
    (failed,) = [error for error in errors(messages) if error.get("stream_descriptor")]
    assert failed["stream_descriptor"]["name"] == "agent_status_reasons"
    assert failed["failure_type"] == "config_error"
    assert '"Agent Status Reason API - Read"' in failed["message"]

"""Every bad input a user or the platform can send gets one clear line: the exit code, the failure type, and a message
naming the key or input at fault. The console script's `run()` runs in-process against the simulator."""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import connector_config
from source_interval_metrics import manifest as packaged
from source_interval_metrics import run
from source_interval_metrics.components.records import IntervalRecordExtractor
from testkit.simulator import Settings, Simulator
from testkit.simulator.data import rfc3339

SKILL = "skill_interval_metrics"
GOOD = object()  # the simulator's good config, catalog or no state
CATALOG: dict[str, Any] = {
    "streams": [
        {
            "stream": {"name": SKILL, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "incremental",
            "cursor_field": ["intervalStart"],
            "destination_sync_mode": "append",
        }
    ]
}


def stream_state(value: Any) -> list[dict[str, Any]]:
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": SKILL}, "stream_state": value}}]


@dataclass
class Case:
    verb: str
    config: Any = GOOD  # a dict of changes to the good config, None to drop a key, or a raw file text (str)
    catalog: Any = GOOD
    state: Any = None
    failure: str | None = "config_error"  # None: success; "FAILED": check answers FAILED
    names: str = ""  # what the one line must name
    simulator: dict[str, Any] = field(default_factory=dict)


def future(days: int = 40) -> str:
    return rfc3339(int(time.time()) // 900 * 900 + days * 86400)


CASES: dict[str, Case] = {
    # --- the list -----------------------------------------------------------------------------------------
    "a future start_date, check": Case("check", {"start_date": future(400)}, failure="FAILED", names="start_date"),
    "a future start_date, read": Case("read", {"start_date": future()}, names="start_date"),
    "an empty config, check": Case("check", "{}", failure="FAILED", names="account_id is required"),
    "an empty config, discover": Case("discover", "{}", names="account_id is required"),
    "an empty config, read": Case("read", "{}", names="account_id is required"),
    "30 February, check": Case("check", {"start_date": "2026-02-30T00:00:00Z"}, failure="FAILED", names="start_date"),
    "30 February, discover": Case("discover", {"start_date": "2026-02-30T00:00:00Z"}, names="start_date"),
    "month 13, read": Case("read", {"start_date": "2026-13-01T00:00:00Z"}, names="start_date"),
    "hour 25, check": Case("check", {"start_date": "2026-11-01T25:00:00Z"}, failure="FAILED", names="start_date"),
    "15.5 minutes": Case("check", {"interval_duration": 15.5}, failure="FAILED", names="interval_duration"),
    "a page size of 100.5": Case("check", {"page_size": 100.5}, failure="FAILED", names="page_size"),
    "2.5 workers": Case("read", {"num_workers": 2.5}, names="num_workers"),
    "a null cursor in the state": Case("read", state=stream_state({"intervalStart": None}), names="intervalStart"),
    "a blank domain": Case("check", {"domain": "   "}, failure="FAILED", names="domain"),
    "a pattern names its form": Case("check", {"request_source": "a b"}, failure="FAILED", names="1 to 20 letters"),
    "a catalog that is a list": Case("read", catalog="[1, 2]", names='a JSON object with a "streams" list'),
    "an unknown stream": Case(
        "read",
        catalog=json.dumps(
            {"streams": [{**CATALOG["streams"][0], "stream": {**CATALOG["streams"][0]["stream"], "name": "agents"}}]}
        ),
        names="'agents', which this connector does not have. Its streams are skill_interval_metrics",
    ),
    # --- wrong types and values for every key ---------------------------------------------------------------------
    "account_id missing": Case("check", {"account_id": None}, failure="FAILED", names="account_id is required"),
    "account_id a number": Case("check", {"account_id": 123456}, failure="FAILED", names="account_id"),
    "account_id with a dash": Case("check", {"account_id": "12-34"}, failure="FAILED", names="account_id"),
    "credentials missing": Case("check", {"credentials": None}, failure="FAILED", names="credentials is required"),
    "credentials a string": Case(
        "check", {"credentials": "api-key-pasted-0001"}, failure="FAILED", names="credentials"
    ),
    "credentials without auth_type": Case("check", {"credentials": {}}, failure="FAILED", names="auth_type"),
    "an unknown auth_type": Case("check", {"credentials": {"auth_type": "basic"}}, failure="FAILED", names="auth_type"),
    "oauth2 without a secret": Case(
        "check",
        {"credentials": {"auth_type": "oauth2", "client_id": "sim-client-id"}},
        failure="FAILED",
        names="credentials.client_secret is required",
    ),
    "API keys without a token": Case(
        "check",
        {"credentials": {"auth_type": "oauth1", "consumer_key": "k-1", "consumer_secret": "s-1"}},
        failure="FAILED",
        names="credentials are API keys (OAuth 1.0a), which LivePerson ended on 2026-05-31",
    ),
    "a client id that is a number": Case(
        "check",
        {"credentials": {"auth_type": "oauth2", "client_id": 42, "client_secret": "s-1"}},
        failure="FAILED",
        names="credentials.client_id must be of type string",
    ),
    "handle_time_model in lower case": Case(
        "check", {"handle_time_model": "ift"}, failure="FAILED", names="handle_time_model"
    ),
    "include_bot_skills as a word": Case(
        "check", {"include_bot_skills": "yes"}, failure="FAILED", names="include_bot_skills"
    ),
    "start_date without a time": Case("check", {"start_date": "2026-11-01"}, failure="FAILED", names="start_date"),
    "start_date a number": Case("check", {"start_date": 20261101}, failure="FAILED", names="start_date"),
    "interval_duration 20": Case("check", {"interval_duration": 20}, failure="FAILED", names="interval_duration"),
    "interval_duration a string": Case("discover", {"interval_duration": "15"}, names="interval_duration"),
    "interval_duration true": Case("read", {"interval_duration": True}, names="interval_duration"),
    "page_size 0": Case("check", {"page_size": 0}, failure="FAILED", names="page_size"),
    "page_size 501": Case("read", {"page_size": 501}, names="page_size"),
    "lookback_window 1h": Case("check", {"lookback_window": "1h"}, failure="FAILED", names="lookback_window"),
    "lookback_window in seconds": Case("read", {"lookback_window": 3600}, names="lookback_window"),
    "domain with a space": Case("check", {"domain": "va agentactivity"}, failure="FAILED", names="domain"),
    "domain_api_url without a scheme": Case(
        "check", {"domain_api_url": "api.liveperson.net"}, failure="FAILED", names="domain_api_url"
    ),
    "request_source too long": Case("check", {"request_source": "x" * 21}, failure="FAILED", names="request_source"),
    "request_source empty": Case("discover", {"request_source": ""}, names="request_source"),
    "num_workers 0": Case("check", {"num_workers": 0}, failure="FAILED", names="num_workers"),
    "num_workers 11": Case("read", {"num_workers": 11}, names="num_workers"),
    "num_workers a string": Case("check", {"num_workers": "4"}, failure="FAILED", names="num_workers"),
    "extra_groupings a string": Case(
        "check", {"extra_groupings": "skill,agent"}, failure="FAILED", names="extra_groupings"
    ),
    "extra_groupings with an unknown dimension": Case(
        "check", {"extra_groupings": ["skill,queue"]}, failure="FAILED", names="extra_groupings entry 'skill,queue'"
    ),
    "extra_groupings with one dimension": Case(
        "discover", {"extra_groupings": ["agent"]}, names="extra_groupings entry 'agent'"
    ),
    "extra_groupings repeating a dimension": Case(
        "read", {"extra_groupings": ["skill,skill"]}, names="extra_groupings entry 'skill,skill'"
    ),
    "extra_groupings with the same combination twice": Case(
        "check",
        {"extra_groupings": ["skill,agent", "agent , skill"]},
        failure="FAILED",
        names="extra_groupings entries",
    ),
    "a config that is a list": Case("check", "[1]", names="config"),
    "a config that is not JSON": Case("discover", "{account_id:", names="config"),
    # --- catalogs -------------------------------------------------------------------------------------------------
    "a catalog that is not JSON": Case("read", catalog="{streams", names="catalog file"),
    "a catalog without streams": Case("read", catalog="{}", names='a JSON object with a "streams" list'),
    "a catalog whose streams is an object": Case("read", catalog='{"streams": {}}', names='"streams" list'),
    "a catalog entry that is a number": Case("read", catalog='{"streams": [1]}', names="streams.0"),
    "a catalog entry without its stream": Case(
        "read",
        catalog='{"streams": [{"sync_mode": "incremental", "destination_sync_mode": "append"}]}',
        names="streams.0",
    ),
    "a catalog entry with a sync mode that does not exist": Case(
        "read", catalog=json.dumps({"streams": [{**CATALOG["streams"][0], "sync_mode": "sideways"}]}), names="sideways"
    ),
    # --- states: a list of STREAM or GLOBAL messages, as the Airbyte platform sends them --------------------------
    "a state that is not JSON": Case("read", state="[{", names="state file"),
    "a state that is a string": Case("read", state='"2026-11-01T00:00:00Z"', names="list of Airbyte state messages"),
    "a state list of strings": Case("read", state='["skill_interval_metrics"]', names="State message #1"),
    "a state message of an unknown type": Case("read", state='[{"type": "SHARED"}]', names="State message #1"),
    "a STREAM message without its stream": Case("read", state='[{"type": "STREAM"}]', names='no "stream" object'),
    "a legacy state object": Case(
        "read", state='{"skill_interval_metrics": {"intervalStart": "%RECENT%"}}', names="legacy state object"
    ),
    "a LEGACY message": Case(
        "read",
        state='[{"type": "LEGACY", "data": {"skill_interval_metrics": {"intervalStart": "%RECENT%"}}}]',
        names="State message #1",
    ),
    "a cursor that is a number": Case("read", state=stream_state({"intervalStart": 1764000000}), names="intervalStart"),
    "a cursor that is not a date": Case(
        "read", state=stream_state({"intervalStart": "last tuesday"}), names="last tuesday"
    ),
    # --- inputs that are fine, in the forms they come in ----------------------------------------------------------
    "whole numbers written as floats": Case(
        "read", {"interval_duration": 15.0, "page_size": 500.0, "num_workers": 4.0}, failure=None
    ),
    "one STREAM message, not in a list": Case(
        "read", state=json.dumps(stream_state({"intervalStart": "%RECENT%"})[0]), failure=None
    ),
    "an empty state": Case("read", state="[]", failure=None),
    "an empty domain": Case("check", {"domain": ""}, failure=None),
    # --- LivePerson and the network: the failure type says who must act -------------------------------------------
    "wrong credentials": Case(
        "read",
        {"credentials": {"auth_type": "oauth2", "client_id": "sim-client-id", "client_secret": "wrong-secret"}},
        names="Check the client id and secret",
    ),
    "wrong credentials, check": Case(
        "check",
        {"credentials": {"auth_type": "oauth2", "client_id": "sim-client-id", "client_secret": "wrong-secret"}},
        failure="FAILED",
        names="Signing in failed",
    ),
    "API keys": Case(
        "read",
        {"credentials": {"consumer_key": "k-1", "consumer_secret": "s-1", "access_token": "t-1"}},
        names="Application Install",
    ),
    "a 400 from LivePerson": Case("read", simulator={"fault_sequence": [400]}, names="HTTP 400"),
    "a 403 from LivePerson": Case("read", simulator={"has_permission": False}, names="HTTP 403"),
    "429 until the retries run out": Case(
        "read", simulator={"fault_rates": {429: 1.0}}, failure="transient_error", names="HTTP 429"
    ),
    "503 until the retries run out": Case(
        "read", simulator={"fault_rates": {503: 1.0}}, failure="transient_error", names="HTTP 503"
    ),
    "a host that refuses connections": Case(
        "read",
        {"domain": "http://127.0.0.1:9", "domain_api_url": "http://127.0.0.1:9"},
        failure="transient_error",
        names="LivePerson at 127.0.0.1:9 still failed after 3 retries, 5, 10 and 15 s apart (ConnectionError: could",
    ),
}


@pytest.fixture(scope="module")
def shared_simulator() -> Iterator[Simulator]:
    with Simulator(Settings(conversations_per_day=40)) as running:
        yield running


def run_case(
    case: Case, simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, Any]], str]:
    recent = rfc3339(int(time.time()) // 900 * 900 - 2 * 3600)
    args = ["source-interval-metrics", case.verb]
    config = connector_config(simulator, start_date=recent)
    if isinstance(case.config, dict):
        config = {k: v for k, v in {**config, **case.config}.items() if v is not None}
    inputs = {"config": config if not isinstance(case.config, str) else case.config}
    if case.verb == "read":
        inputs["catalog"] = CATALOG if case.catalog is GOOD else case.catalog
        if case.state is not None:
            inputs["state"] = case.state.replace("%RECENT%", recent) if isinstance(case.state, str) else case.state
    for name, content in inputs.items():
        path = tmp_path / f"{name}.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        args += [f"--{name}", str(path)]
    code = 0
    try:
        sys.argv = args
        run.run()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], out


def secrets_in(changes: Any) -> list[str]:
    """The values a case puts where credentials go (its auth_type aside): none may be printed."""
    credentials = changes.get("credentials") if isinstance(changes, dict) else None
    if isinstance(credentials, str):
        return [credentials]
    if isinstance(credentials, dict):
        return [str(v) for k, v in credentials.items() if k != "auth_type" and len(str(v)) >= 4]
    return []


@pytest.mark.parametrize("label", list(CASES))
def test_every_input_gets_success_or_one_actionable_line(
    label: str,
    shared_simulator: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    short_pauses: None,
) -> None:
    case = CASES[label]
    monkeypatch.setattr(sys, "argv", sys.argv)
    shared_simulator.update(**{"fault_sequence": [], "fault_rates": {}, "has_permission": True, **case.simulator})
    code, messages, out = run_case(case, shared_simulator, tmp_path, capsys)
    assert "Traceback" not in out, out[-3000:]
    for secret in secrets_in(case.config):
        assert secret not in out, f"a secret of the config reached the output: {secret!r}"
    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    statuses = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    if case.failure is None:
        assert (code, errors) == (0, [])
        assert all(status["status"] == "SUCCEEDED" for status in statuses)
    elif case.failure == "FAILED":
        assert (code, errors) == (0, [])
        (status,) = statuses
        assert status["status"] == "FAILED" and case.names in status["message"], status
        assert "\n" not in status["message"]
    else:
        assert code == 1 and errors, out[-3000:]
        final = errors[-1]
        assert final["failure_type"] == case.failure, final
        assert case.names in final["message"], final["message"]
        assert "\n" not in final["message"] and len(final["message"]) < 1000
        assert all(error.get("stack_trace") is None for error in errors)


def failure_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    failure: dict[str, Any] = [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and "error" in m["trace"]][
        -1
    ]
    return failure


@pytest.fixture
def fresh(shared_simulator: Simulator, monkeypatch: pytest.MonkeyPatch, short_pauses: None) -> Simulator:
    monkeypatch.setattr(sys, "argv", sys.argv)
    shared_simulator.update(fault_sequence=[], fault_rates={}, has_permission=True, latency=0.0)
    return shared_simulator


def test_a_state_in_the_future_is_not_trusted(
    fresh: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    fresh.requests.clear()
    code, messages, _ = run_case(Case("read", state=stream_state({"intervalStart": future()})), fresh, tmp_path, capsys)
    assert code == 0
    assert "is later than the last finished interval; this sync reads from" in caplog.text
    saved = [m["state"]["stream"]["stream_state"]["intervalStart"] for m in messages if m["type"] == "STATE"]
    assert saved and max(saved) <= rfc3339(int(time.time()))
    (request,) = fresh.requests  # the last finished interval, less the hour of lookback
    assert rfc3339(int(time.time()) - 7200) <= request["from"] <= rfc3339(int(time.time()) - 3600)


def test_a_timeout_that_does_not_mend_is_a_transient_error(
    fresh: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    patched = copy.deepcopy(packaged.manifest())
    patched["definitions"]["requester"]["read_timeout_in_seconds"] = 0.2
    monkeypatch.setattr(packaged, "manifest", lambda: patched)
    fresh.update(latency=0.5)
    code, messages, _ = run_case(Case("read"), fresh, tmp_path, capsys)
    assert code == 1 and failure_of(messages)["failure_type"] == "transient_error"
    assert "ReadTimeout" in failure_of(messages)["message"]


def test_a_bug_in_the_connector_is_a_system_error_with_its_stack_trace(
    fresh: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, response: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(IntervalRecordExtractor, "extract_records", broken)  # met by every page, night or day
    code, messages, _ = run_case(Case("read"), fresh, tmp_path, capsys)
    assert code == 1 and failure_of(messages)["failure_type"] == "system_error"
    assert any(
        "KeyError" in (m["trace"].get("error", {}).get("stack_trace") or "") for m in messages if m["type"] == "TRACE"
    )

"""A config that breaks the spec ends in one line that names the key and what it allows: never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy

from source_interval_metrics import run
from source_interval_metrics.components.validation import (
    CombinedGroupingsValidationStrategy,
    IsoDurationValidationStrategy,
    PastDateTimeValidationStrategy,
)
from source_interval_metrics.config import with_defaults
from source_interval_metrics.manifest import connection_specification
from unit_tests.conftest import config


def run_verb(
    verb: str,
    cfg: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    monkeypatch.setattr(sys, "argv", ["source-interval-metrics", verb, "--config", str(path)])
    code = 0
    try:
        run.run()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], out


BAD = [
    ({"handle_time_model": "XYZ"}, "handle_time_model must be one of IFT, EHT; got 'XYZ'"),
    ({"interval_duration": 20}, "interval_duration must be one of 15, 30, 60, 1440; got 20"),
    ({"page_size": 900}, "page_size must be between 1 and 500; got 900"),
    (
        {"start_date": "yesterday"},
        "start_date must look like YYYY-MM-DDTHH:mm:ssZ (for example 2024-05-01T00:00:00Z); got 'yesterday'",
    ),
    (
        {"lookback_window": "1 hour"},
        "lookback_window must look like an ISO 8601 duration (for example PT1H); got '1 hour'",
    ),
    ({"num_workers": 11}, "num_workers must be between 1 and 10; got 11"),
    ({"request_source": "x" * 21}, f"request_source must be at most 20 characters long; got '{'x' * 21}'"),
    ({"account_id": None}, "account_id is required"),
    (
        {"credentials": {"auth_type": "basic"}},
        "credentials.auth_type must be one of oauth2, got 'basic'",
    ),
    (
        {"credentials": {"auth_type": "oauth2", "client_id": "client-id-0001"}},
        "credentials.client_secret is required",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_check_names_the_key_and_what_is_allowed(
    change: dict[str, Any],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = {k: v for k, v in {**config(), **change}.items() if v is not None}
    code, messages, out = run_verb("check", cfg, tmp_path, capsys, monkeypatch)
    statuses = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert code == 0
    assert statuses == [{"status": "FAILED", "message": f"Config validation error: {message}."}]
    assert "Traceback" not in out


@pytest.mark.parametrize("verb", ["discover", "read"])
def test_discover_and_read_refuse_a_bad_config_with_one_config_error(
    verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalog.json").write_text(json.dumps({"streams": []}))
    cfg = config(page_size=0)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    extra = ["--catalog", str(tmp_path / "catalog.json")] if verb == "read" else []
    monkeypatch.setattr(sys, "argv", ["source-interval-metrics", verb, "--config", str(path), *extra])
    with pytest.raises(SystemExit) as exit_:
        run.run()
    out = capsys.readouterr().out
    errors = [json.loads(line)["trace"]["error"] for line in out.splitlines() if '"ERROR"' in line]
    assert exit_.value.code == 1
    assert [(e["message"], e["failure_type"]) for e in errors] == [
        ("Config validation error: page_size must be between 1 and 500; got 0.", "config_error")
    ]
    assert "Traceback" not in out


TYPOS = {
    "interval_duraton": "interval_duration",
    "intervalDuration": "interval_duration",
    "Handle_Time_Model": "handle_time_model",
    "start-date": "start_date",
    "acount_id": "account_id",
}


@pytest.mark.parametrize("typo", list(TYPOS))
def test_a_near_miss_of_a_key_fails_check_naming_the_key_it_resembles(
    typo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    meant = TYPOS[typo]
    cfg = {**{k: v for k, v in config().items() if k != meant}, typo: config().get(meant, 30)}
    code, messages, out = run_verb("check", cfg, tmp_path, capsys, monkeypatch)
    (status,) = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED"
    assert status["message"].startswith(
        f"Config validation error: {typo!r} is not a setting of this connector; did you mean {meant!r}?"
    )


def test_a_near_miss_stops_read_with_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalog.json").write_text(json.dumps({"streams": []}))
    (tmp_path / "config.json").write_text(json.dumps(config(interval_duraton=30)))
    argv = ["source-interval-metrics", "read", "--config", str(tmp_path / "config.json")]
    monkeypatch.setattr(sys, "argv", [*argv, "--catalog", str(tmp_path / "catalog.json")])
    with pytest.raises(SystemExit) as exit_:
        run.run()
    out = capsys.readouterr().out
    (error,) = [json.loads(line)["trace"]["error"] for line in out.splitlines() if '"ERROR"' in line]
    assert exit_.value.code == 1 and error["failure_type"] == "config_error"
    assert "did you mean 'interval_duration'?" in error["message"]


def test_another_unknown_key_is_named_in_one_warning_and_the_platform_s_own_keys_in_none(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = config(notes="for the WFM team", owner="ana", _limit=10, __injected_declarative_manifest={})
    _, messages, _ = run_verb("discover", cfg, tmp_path, capsys, monkeypatch)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["The config has keys this connector does not know, which it ignores: 'notes', 'owner'."]
    assert [m["type"] for m in messages if m["type"] == "CATALOG"] == ["CATALOG"]


def test_secret_values_are_never_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(credentials={"auth_type": "oauth2", "client_id": "client-id-0001", "client_secret": 12345678})
    code, messages, out = run_verb("check", cfg, tmp_path, capsys, monkeypatch)
    assert "12345678" not in out
    assert "credentials.client_secret must be of type string; got (hidden)" in out


def test_defaults_fill_what_the_config_leaves_out() -> None:
    filled = with_defaults({"account_id": "1", "credentials": {}, "page_size": None}, connection_specification())
    assert {
        k: filled[k]
        for k in (
            "handle_time_model",
            "interval_duration",
            "page_size",
            "lookback_window",
            "include_bot_skills",
            "num_workers",
            "request_source",
            "domain_api_url",
        )
    } == {
        "handle_time_model": "IFT",
        "interval_duration": 15,
        "page_size": 500,
        "lookback_window": "PT1H",
        "include_bot_skills": False,
        "num_workers": 4,
        "request_source": "airbyte",
        "domain_api_url": "https://api.liveperson.net",
    }


def test_a_failure_that_is_not_the_user_s_is_not_called_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the connector")

    monkeypatch.setattr("source_interval_metrics.source.SourceIntervalMetrics.discover", broken)
    code, messages, _ = run_verb("discover", config(), tmp_path, capsys, monkeypatch)
    (error,) = [m["trace"]["error"] for m in messages if m["type"] == "TRACE"]
    assert code == 1 and error["failure_type"] == "system_error"
    assert error["message"] == "The connector failed: RuntimeError('a bug in the connector')"
    assert "a bug in the connector" in error["stack_trace"]  # kept for the bug report


@pytest.mark.parametrize(
    ("strategy", "good", "bad", "said"),
    [
        (
            PastDateTimeValidationStrategy(),
            "2024-05-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "start_date '2024-02-30T00:00:00Z' is not",
        ),
        (
            PastDateTimeValidationStrategy(),
            None,
            "2999-01-01T00:00:00Z",
            "start_date 2999-01-01T00:00:00Z is in the future",
        ),
        (IsoDurationValidationStrategy(), "P1DT2H", "1 hour", "lookback_window must be an ISO 8601 duration"),
        (
            CombinedGroupingsValidationStrategy(),
            ["skill,agent"],
            ["skill,agent", "agent, skill"],
            "are the same combination",
        ),
    ],
)
def test_each_spec_validation_takes_a_good_value_and_names_a_bad_one(
    strategy: ValidationStrategy, good: Any, bad: Any, said: str
) -> None:
    strategy.validate(good)
    with pytest.raises(ValueError, match=said):
        strategy.validate(bad)

"""What a sync does when LivePerson answers 202, 4xx, 429, 5xx or garbage: real CDK retries, with a fake clock."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from source_interval_metrics import SourceIntervalMetrics
from unit_tests.conftest import VerifiedHttpMocker, catalog, config, entry, metrics_request, mock_sign_in, page

NOW = "2026-11-25T10:07:00Z"
SKILL = "skill_interval_metrics"
WINDOW = ("2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z")


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The CDK's retry sleeps (one second or more), recorded instead of slept."""
    slept: list[float] = []
    real_sleep = time.sleep

    def fake_sleep(seconds: float) -> None:
        if seconds >= 1:
            slept.append(round(seconds, 3))
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", fake_sleep)
    return slept


def sync(http_mocker: HttpMocker, *answers: HttpResponse, window: tuple[str, str] = WINDOW) -> EntrypointOutput:
    mock_sign_in(http_mocker)
    http_mocker.get(metrics_request(SKILL, *window), list(answers))
    cfg = config(start_date="2026-11-25T00:00:00Z")
    configured = catalog(SKILL, sync_mode=SyncMode.incremental)
    return read(SourceIntervalMetrics(configured, cfg, None), cfg, configured)


def good_page() -> HttpResponse:
    return page([entry("2026-11-25T09:00:00Z", "2026-11-25T09:15:00Z", skillId=1)])


def only_error(output: EntrypointOutput) -> tuple[Any, str]:
    errors = [m.trace.error for m in output.errors if m.trace.error.message.startswith(("LivePerson", "skill"))]
    assert len(errors) == 1, [m.trace.error.message for m in output.errors]
    return errors[0].failure_type, errors[0].message


@freeze_time(NOW)
def test_server_errors_are_retried_after_5_then_10_seconds(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, HttpResponse('{"message": "boom"}', 500), HttpResponse("{}", 503), good_page())
    assert not output.errors and len(output.records) == 1
    assert pauses == [5.0, 10.0]


@freeze_time(NOW)
def test_a_server_error_storm_fails_the_stream_after_5_10_15_seconds_quoting_the_api(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, *[HttpResponse('{"message": "Service unavailable"}', 503)] * 4)
    assert pauses == [5.0, 10.0, 15.0]
    assert only_error(output) == (
        FailureType.transient_error,
        "LivePerson still failed after 3 retries (HTTP 503: Service unavailable). Try the sync again later.",
    )
    assert output.records == []


@freeze_time(NOW)
def test_a_rate_limit_waits_as_long_as_retry_after_says(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, HttpResponse("{}", 429, {"Retry-After": "3"}), good_page())
    assert not output.errors and len(output.records) == 1
    assert pauses == [3.0]


@freeze_time(NOW)
def test_a_body_that_is_cut_off_is_read_again(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, HttpResponse('{"metadata": {"count": 1}, "interv', 200), good_page())
    assert not output.errors and len(output.records) == 1
    assert pauses == [5.0]


@freeze_time(NOW)
def test_an_empty_body_that_never_mends_ends_in_one_clear_error(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, *[HttpResponse("", 200)] * 4)
    assert only_error(output) == (
        FailureType.transient_error,
        "LivePerson still failed after 3 retries (HTTP 200 with a body that is not a JSON object). "
        "Try the sync again later.",
    )


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("status", "body", "failure", "start"),
    [
        (
            400,
            {"message": "from must be within the past two weeks"},
            FailureType.config_error,
            "LivePerson refused the request (HTTP 400): from must be within the past two weeks",
        ),
        (400, {"message": "Invalid pageKey"}, FailureType.system_error, "LivePerson refused the request (HTTP 400)"),
        (403, {"message": "Forbidden"}, FailureType.config_error, "LivePerson denied access to account 123456"),
        (404, {"message": "Invalid Account id"}, FailureType.config_error, "LivePerson does not know account 123456"),
    ],
)
def test_refusals_stop_the_stream_at_once_with_one_actionable_line(
    pauses: list[float], status: int, body: dict[str, str], failure: FailureType, start: str
) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, HttpResponse(json.dumps(body), status))
    failure_type, message = only_error(output)
    assert failure_type == failure and message.startswith(start) and "\n" not in message
    assert pauses == []


def statuses(first_unfinished: str) -> HttpResponse:
    intervals = []
    for quarter in range(40):
        start = f"2026-11-25T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00Z"
        intervals.append({"from": start, "status": "Done" if start < first_unfinished else "In Progress"})
    return HttpResponse(json.dumps({"intervals": intervals}), 202)


@freeze_time(NOW)
def test_a_202_reads_the_finished_part_of_the_window_and_leaves_the_rest_for_later(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(
            metrics_request(SKILL, WINDOW[0], "2026-11-25T09:15:00Z"),
            page(
                [
                    entry("2026-11-25T08:45:00Z", "2026-11-25T09:00:00Z", skillId=1),
                    entry("2026-11-25T09:00:00Z", "2026-11-25T09:15:00Z", skillId=1),
                ]
            ),
        )
        output = sync(http_mocker, statuses("2026-11-25T09:15:00Z"))
    assert not output.errors and pauses == []
    assert [r.record.data["intervalStart"] for r in output.records] == ["2026-11-25T08:45:00Z", "2026-11-25T09:00:00Z"]
    assert output.most_recent_state.stream_state.__dict__ == {"intervalStart": "2026-11-25T09:00:00Z"}
    assert output.is_in_logs("still processing the intervals from 2026-11-25T09:15:00Z")


@freeze_time(NOW)
def test_a_window_still_wholly_in_progress_emits_nothing_and_does_not_fail() -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, statuses("2026-11-25T00:00:00Z"))
    assert not output.errors and output.records == []

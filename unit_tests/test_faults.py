"""What a sync does when LivePerson answers 202, 4xx, 429, 5xx or garbage: real CDK retries, with a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from unit_tests.conftest import (
    VerifiedHttpMocker,
    config,
    entry,
    metrics_request,
    mock_sign_in,
    page,
    read_streams,
)

NOW = "2026-11-25T10:07:00Z"
SKILL = "skill_interval_metrics"
WINDOW = ("2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z")

HOST = "va.agentactivity.liveperson.net"


def sync(http_mocker: HttpMocker, *answers: HttpResponse, window: tuple[str, str] = WINDOW) -> EntrypointOutput:
    mock_sign_in(http_mocker)
    http_mocker.get(metrics_request(SKILL, *window), list(answers))
    return read_streams(config(start_date="2026-11-25T00:00:00Z"), SKILL)


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
        f"LivePerson at {HOST} still failed after 3 retries, 5, 10 and 15 s apart (HTTP 503: Service unavailable). "
        "Try the sync again later: it resumes from the state saved.",
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
        f"LivePerson at {HOST} still failed after 3 retries, 5, 10 and 15 s apart (HTTP 200 with a body that is not "
        "a JSON object). Try the sync again later: it resumes from the state saved.",
    )


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("status", "body", "failure", "start"),
    [
        (
            400,
            {"message": "to must be later than from"},
            FailureType.config_error,
            "LivePerson refused the request (HTTP 400): to must be later than from",
        ),
        (400, {"message": "Bad Request"}, FailureType.config_error, "LivePerson refused the request (HTTP 400): Bad"),
        (403, {"message": "Forbidden"}, FailureType.config_error, "LivePerson denied access to account 123456"),
        (404, {"message": "Invalid Account id"}, FailureType.config_error, "LivePerson does not know account 123456"),
    ],
)
def test_refusals_stop_the_stream_at_once_with_one_actionable_line(
    pauses: list[float], status: int, body: dict[str, str], failure: FailureType, start: str
) -> None:
    """A 400 that LivePerson gives for a recent window too is the request's fault, whatever it says: one more request
    (the recent window) tells, and the refusal is quoted in full."""
    with VerifiedHttpMocker() as http_mocker:
        if status == 400:
            http_mocker.get(
                metrics_request(SKILL, "2026-11-25T09:45:00Z", WINDOW[1]), HttpResponse(json.dumps(body), 400)
            )
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


# --- a page named again, and a history shorter than the documented 14 days -----------------------------------------


def offset_page(entries: list[dict[str, Any]], offset: int | None) -> HttpResponse:
    """A page whose `refs.next` names `offset` (none: the last page)."""
    link = f"/api/account/123456/interval-metrics?v=1&limit=500&offset={offset}" if offset is not None else None
    return page(entries, next_ref=link)


def quarter_entry(minute: int) -> dict[str, Any]:
    start, end = (f"2026-11-25T{m // 60:02d}:{m % 60:02d}:00Z" for m in (minute, minute + 15))
    return entry(start, end, skillId=1)


@freeze_time(NOW)
@pytest.mark.parametrize("first_page_empty", [False, True], ids=["records-before-it", "no-records-before-it"])
def test_a_page_whose_next_page_is_itself_is_asked_again_after_a_short_pause(
    pauses: list[float], first_page_empty: bool
) -> None:
    first = offset_page([] if first_page_empty else [quarter_entry(0)], 500)
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(
            metrics_request(SKILL, *WINDOW, offset="500", limit="500"),
            [offset_page([], 500), offset_page([], 500), offset_page([quarter_entry(60)], 1000)],
        )
        http_mocker.get(
            metrics_request(SKILL, *WINDOW, offset="1000", limit="500"),
            [offset_page([quarter_entry(120)], 1000), offset_page([quarter_entry(120)], None)],
        )
        output = sync(http_mocker, first)
    assert not output.errors
    starts = [r.record.data["intervalStart"][11:16] for r in output.records]
    assert starts == ([] if first_page_empty else ["00:00"]) + ["01:00", "02:00"]
    assert pauses == [1.001, 2.0, 1.001]  # the CDK adds a second to every backoff
    assert output.most_recent_state.stream_state.__dict__ == {"intervalStart": "2026-11-25T02:00:00Z"}


@freeze_time(NOW)
def test_a_first_page_naming_itself_by_page_key_is_asked_again() -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(metrics_request(SKILL, *WINDOW, pageKey="k1"), [page([], "k1"), page([quarter_entry(60)])])
        output = sync(http_mocker, page([quarter_entry(0)], "k1"))
    assert not output.errors and [r.record.data["intervalStart"][11:16] for r in output.records] == ["00:00", "01:00"]


@freeze_time(NOW)
def test_a_page_that_keeps_naming_itself_fails_its_window_as_a_transient_error(pauses: list[float]) -> None:
    with VerifiedHttpMocker() as http_mocker:
        output = sync(http_mocker, *[offset_page([quarter_entry(0)], 0)] * 4)
    assert pauses == [1.001, 2.0, 4.0]
    assert only_error(output) == (
        FailureType.transient_error,
        "LivePerson kept answering the page offset=0&limit=500 with a next page that is the same page, 4 times; "
        "this window is left for the next sync to read.",
    )
    assert output.records == []
    saved = [m.state.stream.stream_state.__dict__.get("intervalStart") for m in output.state_messages]
    assert all(value is None or value <= WINDOW[0] for value in saved), saved  # never past the failed window


# However LivePerson words a refusal of a too old `from`, the connector reads the same: it asks, not reads.
HISTORY_REFUSALS = {
    "bare": {"message": "Bad Request"},
    "an-age": {"message": "Invalid request", "causes": ["from must be within the past 30 hours"]},
    "a-time": {"message": "Invalid request", "causes": ["from must not be before 2026-11-24T04:07:00Z"]},
}
RECENT_WINDOW = ("2026-11-25T09:45:00Z", WINDOW[1])  # the last finished interval at NOW


@freeze_time(NOW)
@pytest.mark.parametrize("refusal", list(HISTORY_REFUSALS))
def test_a_from_older_than_liveperson_keeps_starts_at_the_oldest_interval_it_keeps(
    refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    """LivePerson keeps from 04:07 the day before. It takes the recent window, so the refusal is about age: the
    window's latest interval, then halving, find 04:15, the oldest interval it takes, in eight requests; only the
    answer from there is read on (the others are never emitted)."""
    refused = HttpResponse(json.dumps(HISTORY_REFUSALS[refusal]), 400)
    day = ("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z")
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(metrics_request(SKILL, *day), refused)
        http_mocker.get(metrics_request(SKILL, *RECENT_WINDOW), page([]))
        for start in ("23:45", "11:45", "05:45", "02:45", "04:15", "03:30", "03:45", "04:00"):
            kept = start >= "04:07"
            answer = page([], next_page_key="k") if kept else refused
            http_mocker.get(metrics_request(SKILL, f"2026-11-24T{start}:00Z", day[1]), answer)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-24T04:15:00Z", day[1], pageKey="k"),
            page([entry("2026-11-24T23:45:00Z", "2026-11-25T00:00:00Z", skillId=1)]),
        )
        http_mocker.get(metrics_request(SKILL, *WINDOW), good_page())
        output = read_streams(config(start_date="2026-11-24T00:00:00Z"), SKILL)
    assert not output.errors
    starts = sorted(r.record.data["intervalStart"] for r in output.records)
    assert starts == ["2026-11-24T23:45:00Z", "2026-11-25T09:00:00Z"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "LivePerson keeps less history than the 14 days" in warning
    assert warning.endswith(
        "The intervals from 2026-11-24T00:00:00Z to 2026-11-24T04:15:00Z can no longer be read; this window starts "
        "at 2026-11-24T04:15:00Z."
    )


@freeze_time(NOW)
@pytest.mark.parametrize("refusal", list(HISTORY_REFUSALS))
def test_a_window_liveperson_keeps_nothing_of_is_left_with_a_warning_not_a_failure(
    refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    """LivePerson takes the recent window but not even the latest interval of the day before: that day is gone, at the
    cost of two requests, and today's window is read."""
    refused = HttpResponse(json.dumps(HISTORY_REFUSALS[refusal]), 400)
    day = ("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z")
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(metrics_request(SKILL, *day), refused)
        http_mocker.get(metrics_request(SKILL, *RECENT_WINDOW), page([]))
        http_mocker.get(metrics_request(SKILL, "2026-11-24T23:45:00Z", day[1]), refused)
        http_mocker.get(metrics_request(SKILL, *WINDOW), good_page())
        output = read_streams(config(start_date="2026-11-24T00:00:00Z"), SKILL)
    assert not output.errors
    assert [r.record.data["intervalStart"] for r in output.records] == ["2026-11-25T09:00:00Z"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.endswith("The intervals from 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z can no longer be read.")


@freeze_time(NOW)
@pytest.mark.parametrize("refusal", list(HISTORY_REFUSALS))
def test_in_today_s_window_the_recent_window_is_the_first_step_of_the_halving(
    refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    """LivePerson keeps from 06:00 here. The recent window (09:45) is today's latest interval, asked once; the halving
    asks 04:45, 07:15, ... and only the page from 06:00 is read on."""
    refused = HttpResponse(json.dumps(HISTORY_REFUSALS[refusal]), 400)
    with VerifiedHttpMocker() as http_mocker:
        for start in ["09:45", "04:45", "07:15", "06:00", "05:15", "05:30", "05:45"]:
            kept = start >= "06:00"
            answer = page([quarter_entry(int(start[:2]) * 60 + int(start[3:]))]) if kept else refused
            http_mocker.get(metrics_request(SKILL, f"2026-11-25T{start}:00Z", WINDOW[1]), answer)
        output = sync(http_mocker, refused)
    assert not output.errors
    assert [r.record.data["intervalStart"] for r in output.records] == ["2026-11-25T06:00:00Z"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings[-1].endswith(
        "The intervals from 2026-11-25T00:00:00Z to 2026-11-25T06:00:00Z can no longer be read; this window starts "
        "at 2026-11-25T06:00:00Z."
    )


@freeze_time(NOW)
def test_a_from_refused_between_two_pages_fails_the_window_as_a_transient_error() -> None:
    """LivePerson takes the recent window, so a 400 for a window's later page is about the window: not the user's."""
    refused = HttpResponse(json.dumps({"message": "Bad Request"}), 400)
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(metrics_request(SKILL, *WINDOW, pageKey="k"), refused)
        http_mocker.get(metrics_request(SKILL, *RECENT_WINDOW), page([]))
        output = sync(http_mocker, page([quarter_entry(360)], "k"))
    failure_type, message = only_error(output)
    assert failure_type == FailureType.transient_error
    assert message.startswith("skill_interval_metrics: LivePerson stopped taking a window between two of its pages")

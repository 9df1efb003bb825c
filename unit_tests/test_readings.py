"""Whole reads under each reading of the method page the connector must survive (HttpMocker + freezegun).

Each test pins the requests the connector sends, and fails if the behaviour it names is taken out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from unit_tests.conftest import STREAMS, config, entry, metrics_request, mock_sign_in, page, read_streams

NOW = "2026-11-25T10:07:00Z"
SKILL = "skill_interval_metrics"
TODAY = ("2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z")
WITHOUT_CLOSED = STREAMS[SKILL][1].replace(",closedConversations", "")


@pytest.fixture(autouse=True)
def no_real_pauses(pauses: list[float]) -> None:
    """Every test here runs with its pauses recorded, not slept (the shared `pauses` fixture)."""


def sync(http_mocker: HttpMocker, state: dict[str, Any] | None = None, **overrides: Any) -> EntrypointOutput:
    mock_sign_in(http_mocker)
    return read_streams(config(**{"start_date": TODAY[0], **overrides}), SKILL, state=state)


def starts(output: EntrypointOutput) -> list[str]:
    return [message.record.data["intervalStart"][11:16] for message in output.records]


def saved(output: EntrypointOutput) -> str:
    return str(output.most_recent_state.stream_state.__dict__["intervalStart"])


def warnings(output: EntrypointOutput) -> list[str]:
    return [m.log.message for m in output.logs if m.log.level.value == "WARN"]


def accepted(intervals: Any) -> HttpResponse:
    return HttpResponse(json.dumps(intervals if not isinstance(intervals, list) else {"intervals": intervals}), 202)


def quarters(first_unfinished: str, status_done: str = "Done", status_open: str = "In Progress") -> HttpResponse:
    """A 202 for today's window: every quarter before `first_unfinished` done, the rest not."""
    intervals = []
    for number in range(40):
        start = f"2026-11-25T{number // 4:02d}:{number % 4 * 15:02d}:00Z"
        intervals.append({"from": start, "status": status_done if start < first_unfinished else status_open})
    return accepted(intervals)


# --- 1. `to`: the interval starting exactly at `to` ---------------------------------------------------------------


@freeze_time(NOW)
def test_no_request_ends_at_a_boundary_so_the_interval_in_progress_is_never_asked_for(http_mocker: HttpMocker) -> None:
    """`to` is 09:59:59: neither reading of `to` takes in the 10:00 interval, still in progress at 10:07."""
    http_mocker.get(
        metrics_request(SKILL, *TODAY),  # to=2026-11-25T09:59:59Z
        page([entry("2026-11-25T09:45:00Z", "2026-11-25T10:00:00Z", skillId=1)]),
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["09:45"] and saved(output) == "2026-11-25T09:45:00Z"


@freeze_time(NOW)
def test_a_202_naming_only_the_interval_at_the_window_s_end_is_asked_again_then_left(
    http_mocker: HttpMocker, pauses: list[float]
) -> None:
    """An API that still names 10:00 for `to` 09:59:59 does not fail the sync: three pauses, one WARN, no state."""
    asked = metrics_request(SKILL, "2026-11-25T08:00:00Z", TODAY[1])
    http_mocker.get(asked, [quarters("2026-11-25T10:00:00Z")] * 4)  # the first and after each pause
    output = sync(http_mocker, state={"intervalStart": "2026-11-25T09:00:00Z"})  # read again from 08:00
    assert not output.errors and output.records == []
    assert pauses == [5.0, 10.0, 15.0]  # LivePerson's pauses, taken by the error handler
    (warning,) = warnings(output)
    assert "without naming an unfinished interval in it" in warning
    assert saved(output) == "2026-11-25T09:00:00Z"


# --- 2. the 202 body ----------------------------------------------------------------------------------------------

FORMS = {
    "documented": quarters("2026-11-25T09:15:00Z"),
    "other status words": quarters("2026-11-25T09:15:00Z", "COMPLETED", "PROCESSING"),
    "milliseconds only": accepted(
        [
            {"fromL": 1795595400000, "toL": 1795596300000, "status": "Done"},  # 08:30
            {"fromL": 1795598100000, "toL": 1795599000000, "status": "In Progress"},  # 09:15
        ]
    ),
}


@freeze_time(NOW)
@pytest.mark.parametrize("form", list(FORMS))
def test_a_202_in_any_form_reads_what_is_done_and_saves_no_state_past_it(http_mocker: HttpMocker, form: str) -> None:
    http_mocker.get(metrics_request(SKILL, *TODAY), FORMS[form])
    http_mocker.get(
        metrics_request(SKILL, TODAY[0], "2026-11-25T09:15:00Z"),  # to=09:14:59
        page([entry(f"2026-11-25T0{h}:00:00Z", f"2026-11-25T0{h}:15:00Z", skillId=1) for h in (8, 9)]),
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["08:00", "09:00"]
    assert saved(output) == "2026-11-25T09:00:00Z"


@freeze_time(NOW)
def test_a_202_that_names_no_usable_interval_is_asked_again_and_may_then_be_read(
    http_mocker: HttpMocker, pauses: list[float]
) -> None:
    http_mocker.get(
        metrics_request(SKILL, *TODAY),
        [accepted({"message": "processing"}), page([entry("2026-11-25T09:45:00Z", "2026-11-25T10:00:00Z", skillId=1)])],
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["09:45"] and pauses == [5.0] and warnings(output) == []


# --- 3. a metric LivePerson refuses for the grouping ---------------------------------------------------------------


@freeze_time(NOW)
def test_a_refused_metric_is_left_out_of_the_stream_with_one_warning(http_mocker: HttpMocker) -> None:
    refusal = HttpResponse(
        json.dumps({"message": "Invalid request", "causes": ["closedConversations requires grouping conversation"]}),
        400,
    )
    http_mocker.get(metrics_request(SKILL, *TODAY), refusal)
    asked = WITHOUT_CLOSED.split(",")
    http_mocker.get(
        metrics_request(SKILL, *TODAY, metrics=WITHOUT_CLOSED),
        page(
            [
                entry(f"2026-11-25T0{h}:00:00Z", f"2026-11-25T0{h}:15:00Z", skillId=1, metrics=dict.fromkeys(asked, 3))
                for h in (8, 9)
            ]
        ),
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["08:00", "09:00"]
    # every other metric kept; the refused one has no value, which destinations store as null
    assert [sorted(m.record.data.keys() & {*asked, "closedConversations"}) for m in output.records] == [
        sorted(asked)
    ] * 2
    (warning,) = warnings(output)
    assert warning.startswith("skill_interval_metrics: LivePerson refused the metric closedConversations (")


@freeze_time(NOW)
def test_metrics_refused_one_answer_at_a_time_are_each_left_out(http_mocker: HttpMocker) -> None:
    """LivePerson may name one refused metric per answer: the window starts again as often as that takes."""

    def refusal(metric: str) -> HttpResponse:
        return HttpResponse(json.dumps({"message": f"Invalid metric {metric} for grouping skill"}), 400)

    without_arrivals = STREAMS[SKILL][1].replace(",arrivals", "")
    http_mocker.get(metrics_request(SKILL, *TODAY), refusal("arrivals"))
    http_mocker.get(metrics_request(SKILL, *TODAY, metrics=without_arrivals), refusal("closedConversations"))
    http_mocker.get(
        metrics_request(SKILL, *TODAY, metrics=WITHOUT_CLOSED.replace(",arrivals", "")),
        page([entry("2026-11-25T09:00:00Z", "2026-11-25T09:15:00Z", skillId=1)]),
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["09:00"]
    assert [warning.split(" (")[0] for warning in warnings(output)] == [
        "skill_interval_metrics: LivePerson refused the metric arrivals",
        "skill_interval_metrics: LivePerson refused the metric closedConversations",
    ]


@freeze_time(NOW)
def test_a_request_asked_again_without_a_refused_metric_keeps_its_three_retries_for_outages(
    http_mocker: HttpMocker, pauses: list[float]
) -> None:
    refusal = HttpResponse(json.dumps({"message": "Invalid metric closedConversations for grouping skill"}), 400)
    http_mocker.get(metrics_request(SKILL, *TODAY), refusal)
    outage = HttpResponse('{"message": "Service unavailable"}', 503)
    good = page([entry("2026-11-25T09:00:00Z", "2026-11-25T09:15:00Z", skillId=1)])
    http_mocker.get(metrics_request(SKILL, *TODAY, metrics=WITHOUT_CLOSED), [outage, outage, outage, good])
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["09:00"]
    assert pauses == [5.0, 10.0, 15.0]  # asked again without it at once, then 3 retries for the outage


@freeze_time(NOW)
def test_a_400_that_names_no_metric_stays_a_config_error(http_mocker: HttpMocker) -> None:
    refusal = {"message": "Invalid intervalDuration 7; supported: 15, 30, 60, 1440"}
    http_mocker.get(metrics_request(SKILL, *TODAY), HttpResponse(json.dumps(refusal), 400))
    http_mocker.get(metrics_request(SKILL, "2026-11-25T09:45:00Z", TODAY[1]), HttpResponse(json.dumps(refusal), 400))
    output = sync(http_mocker)
    (error,) = [m.trace.error for m in output.errors if m.trace.error.message.startswith("LivePerson")]
    assert error.failure_type == FailureType.config_error and "intervalDuration" in error.message


# --- 4. a 200 that is not a page ----------------------------------------------------------------------------------


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"metadata": {"count": 0, "paging": {}}}, "a body without an `intervals` array"),
        ({"metadata": {"count": 1}, "intervals": [{"skillId": 1}]}, "an interval without a usable `timeframe.from`"),
    ],
)
def test_a_200_that_is_not_a_page_is_retried_then_fails_without_moving_the_state(
    http_mocker: HttpMocker, pauses: list[float], body: dict[str, Any], missing: str
) -> None:
    yesterday = ("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z")
    http_mocker.get(
        metrics_request(SKILL, *yesterday), page([entry("2026-11-24T08:00:00Z", "2026-11-24T08:15:00Z", skillId=1)])
    )
    http_mocker.get(metrics_request(SKILL, *TODAY), [HttpResponse(json.dumps(body))] * 4)  # the first and 3 retries
    output = sync(http_mocker, start_date=yesterday[0], num_workers=1)
    assert pauses == [5.0, 10.0, 15.0]
    (error,) = [m.trace.error for m in output.errors if m.trace.error.message.startswith("LivePerson")]
    assert error.failure_type == FailureType.transient_error
    assert (
        error.message == f"LivePerson at va.agentactivity.liveperson.net still failed after 3 retries, 5, 10 and 15 s "
        f"apart (HTTP 200 with {missing}). Try the sync again later: it resumes from the state saved."
    )
    assert saved(output) == "2026-11-24T08:00:00Z"


@freeze_time(NOW)
def test_a_200_that_is_not_a_page_once_is_read_again(http_mocker: HttpMocker) -> None:
    http_mocker.get(
        metrics_request(SKILL, *TODAY),
        [HttpResponse(json.dumps({"metadata": {}})), page([entry("2026-11-25T09:45:00Z", "2026-11-25T10:00:00Z")])],
    )
    output = sync(http_mocker)
    assert not output.errors and starts(output) == ["09:45"]

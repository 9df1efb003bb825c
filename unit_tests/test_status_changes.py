"""agent_status_changes through the CDK with mocked answers: the records, the windows, paging and what is learned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from source_interval_metrics.components.records import (
    StatusChangeRecordExtractor,
    StatusChangesInWindowRecordFilter,
    utc_millis,
)
from source_interval_metrics.components.state import SavedCursorStateMigration
from source_interval_metrics.manifest import manifest
from unit_tests.conftest import (
    STATUS,
    change,
    config,
    mock_sign_in,
    read_streams,
    status_page,
    status_request,
)

NOW = "2026-11-25T10:07:30Z"
TODAY = ("2026-11-25T00:00:00Z", "2026-11-25T10:07:30Z")


STATUS_END = manifest()["definitions"]["status_changes_stream"]["incremental_sync"]["end_datetime"]
RECENT = ("2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z")  # the last whole hour before NOW


def read_today(http_mocker: HttpMocker, *answers: HttpResponse, **cfg: Any) -> Any:
    mock_sign_in(http_mocker)
    http_mocker.get(status_request(*TODAY), list(answers))
    return read_streams(config(start_date=TODAY[0], **cfg), STATUS, sync_mode=SyncMode.full_refresh)


@pytest.mark.parametrize(
    ("no_reason", "ids"),
    [
        ({"statusReasonId": 0, "statusReasonText": ""}, "numbers"),
        ({"statusReasonId": -1, "statusReasonText": None}, "strings"),
        ({}, "numbers"),
    ],
)
def test_a_change_becomes_the_contract_s_record_whatever_form_says_there_is_no_reason(
    no_reason: dict[str, Any], ids: str
) -> None:
    sent = change("2026-03-13T10:18:51.625Z", kind=1, sub=2)
    sent.pop("statusReasonId"), sent.pop("statusReasonText")
    sent.update(no_reason)
    if ids == "strings":
        sent.update(agentId="3252247132", agentGroupId="-1", sessionId="-1", sequenceNumber="2")
    record = StatusChangeRecordExtractor.record(sent, "123456")
    assert record["accountId"] == "123456" and record["status"] == "ONLINE"
    assert record["statusReasonId"] is None and record["statusReasonText"] is None
    assert isinstance(record["agentId"], int) and isinstance(record["sequenceNumber"], int)
    assert record["agentGroupId"] == (-1 if ids == "strings" else 12345)


@pytest.mark.parametrize(
    ("kind", "sub", "label"),
    [
        (3, 0, "LOGIN"),
        (4, 0, "LOGOUT"),
        (1, 1, "OFFLINE"),
        (1, 2, "ONLINE"),
        (1, 3, "OCCUPIED"),
        (1, 4, "AWAY"),
        (1, 9, "UNKNOWN"),
        (3, 2, "LOGIN"),
        (2, 0, "UNKNOWN"),
        (7, 0, "UNKNOWN"),
    ],
)
def test_each_change_is_named(kind: int, sub: int, label: str) -> None:
    record = StatusChangeRecordExtractor.record(change("2026-03-13T10:18:51.625Z", kind=kind, sub=sub), "1")
    assert (record["status"], record["statusType"], record["statusSubType"]) == (label, kind, sub)


def test_an_away_reason_is_kept_and_times_are_utc_with_milliseconds() -> None:
    sent = change("2026-03-13T12:18:51.6+02:00", sub=4, statusReasonId=13, statusReasonText="Training")
    sent["prevStatusChangeTime"] = 1773396627983
    record = StatusChangeRecordExtractor.record(sent, "1")
    assert (record["statusReasonId"], record["statusReasonText"]) == (13, "Training")
    assert record["time"] == "2026-03-13T10:18:51.600Z"
    assert record["prevStatusChangeTime"] == "2026-03-13T10:10:27.983Z"
    assert utc_millis("not a time") == "not a time"


def test_a_window_keeps_what_happened_in_it_each_change_once() -> None:
    window = StreamSlice(
        partition={}, cursor_slice={"start_time": "2026-11-24T00:00:00Z", "end_time": "2026-11-24T23:59:59Z"}
    )
    times = [
        "2026-11-23T23:59:59.999Z",  # before the window (asked for, as a second before it is)
        "2026-11-24T00:00:00.000Z",  # on its start: in it
        "2026-11-24T23:59:59.999Z",
        "2026-11-25T00:00:00.000Z",  # on its end: the next window's
    ]
    records = [StatusChangeRecordExtractor.record(change(moment), "1") for moment in times]
    kept = StatusChangesInWindowRecordFilter(config={}, parameters={})
    first = list(kept.filter_records(records, {}, window, None))
    assert [r["time"] for r in first] == times[1:3]
    again = list(kept.filter_records(records[1:2] + records[2:3], {}, window, {"next_page_token": {"offset": "2"}}))
    assert again == [], "a change a later page repeats is emitted once"


@freeze_time(NOW)
def test_pages_follow_the_next_reference_by_offset_and_limit_alone_keeping_the_request_s_own_parameters(
    http_mocker: HttpMocker,
) -> None:
    elsewhere = "http://another.host.example/api/v2/account/123456/status-changes?from=x&offset={}&limit=2"
    mock_sign_in(http_mocker)
    http_mocker.get(
        status_request(*TODAY),
        status_page(
            [change("2026-11-25T01:00:00.000Z", sequence=2), change("2026-11-25T02:00:00.000Z", sequence=3)],
            elsewhere.format(2),
        ),
    )
    http_mocker.get(
        status_request(*TODAY, offset="2", limit="2"),
        status_page([change("2026-11-25T03:00:00.000Z", sequence=4)], elsewhere.format(4)),
    )
    http_mocker.get(status_request(*TODAY, offset="4", limit="2"), status_page([], elsewhere.format(6)))
    output = read_streams(config(start_date=TODAY[0]), STATUS, sync_mode=SyncMode.full_refresh)
    assert not output.errors
    assert [r.record.data["sequenceNumber"] for r in output.records] == [2, 3, 4]


@freeze_time(NOW)
def test_a_too_large_limit_is_learned_once_for_the_rest_of_the_sync(http_mocker: HttpMocker) -> None:
    """One worker reads a backfill of 30 days in windows of 28 days at most, one after the other."""
    mock_sign_in(http_mocker)
    refusal = {"message": "Bad Request", "causes": ["limit: must be less than or equal to 1000"]}
    first, second = ("2026-10-26T00:00:00Z", "2026-11-23T00:00:00Z"), ("2026-11-23T00:00:00Z", TODAY[1])
    for limit in ("20000", "5000"):
        http_mocker.get(status_request(*first, limit=limit), HttpResponse(json.dumps(refusal), 400))
    http_mocker.get(status_request(*first, limit="1000"), status_page([change("2026-11-01T08:00:00.000Z")]))
    http_mocker.get(status_request(*second, limit="1000"), status_page([change("2026-11-24T08:00:00.000Z")]))
    output = read_streams(config(start_date=first[0], num_workers=1), STATUS, sync_mode=SyncMode.full_refresh)
    assert not output.errors and len(output.records) == 2


@freeze_time(NOW)
def test_a_start_older_than_liveperson_keeps_starts_at_the_oldest_it_accepts_and_older_windows_are_not_asked(
    http_mocker: HttpMocker,
) -> None:
    """Windows of 28 days from 2026-09-01; LivePerson keeps 30 days, from 2026-10-26T10:07:30Z, and says only "Bad
    Request". No smaller page mends the first window (four requests, once a sync); LivePerson takes the recent window,
    so the refusals are about age: the first window's latest hour is refused too (the window is gone), the second's is
    taken, and halving finds 11:00 in ten more requests. The window after is whole, nothing older is asked again."""
    mock_sign_in(http_mocker)
    refusal = HttpResponse(json.dumps({"message": "Bad Request"}), 400)
    first, second = ("2026-09-01T00:00:00Z", "2026-09-29T00:00:00Z"), ("2026-09-29T00:00:00Z", "2026-10-27T00:00:00Z")
    for limit in ("20000", "5000", "1000", "100", "50"):  # no page size mends it: tried on this window only
        http_mocker.get(status_request(*first, limit=limit), refusal)
    http_mocker.get(status_request(*RECENT), [status_page([]), status_page([])])
    http_mocker.get(status_request("2026-09-28T23:00:00Z", first[1]), refusal)
    http_mocker.get(status_request(*second), refusal)
    halving = ["10-26T23", "10-12T23", "10-19T23", "10-23T11", "10-25T05", "10-26T02", "10-26T12", "10-26T07"]
    for start in [*halving, "10-26T09", "10-26T10", "10-26T11"]:
        kept = f"2026-{start}:00:00Z" >= "2026-10-26T10:07:30Z"
        answer = status_page([change("2026-10-26T12:00:00.000Z")] if start == "10-26T11" else []) if kept else refusal
        http_mocker.get(status_request(f"2026-{start}:00:00Z", second[1]), answer)
    http_mocker.get(status_request("2026-10-27T00:00:00Z", "2026-11-24T00:00:00Z"), status_page([]))
    http_mocker.get(status_request("2026-11-24T00:00:00Z", TODAY[1]), status_page([]))
    output = read_streams(
        config(start_date="2026-09-01T00:00:00Z", num_workers=1), STATUS, sync_mode=SyncMode.incremental
    )
    assert not output.errors and len(output.records) == 1
    warnings = [
        m.log.message for m in output.logs if m.log.level.value == "WARN" and "can no longer be read" in m.log.message
    ]
    assert warnings[-1] == (
        "agent_status_changes: LivePerson no longer keeps them (Bad Request). The status changes from "
        "2026-09-01T00:00:00Z to 2026-10-26T11:00:00Z can no longer be read; this window starts at "
        "2026-10-26T11:00:00Z."
    )


@freeze_time(NOW)
@pytest.mark.parametrize("denied_with", [401, 403])
def test_without_the_permission_the_stream_fails_as_a_config_error_naming_it(
    http_mocker: HttpMocker, denied_with: int
) -> None:
    """A 401 is first taken for an expired token: a new one is fetched and refused too."""
    token = HttpResponse(json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}))
    mock_sign_in(http_mocker, tokens=[token, token] if denied_with == 401 else [token])
    denial = HttpResponse('{"reason": "oauth_problem=token_rejected"}', denied_with)
    http_mocker.get(status_request(*TODAY), [denial] * (2 if denied_with == 401 else 1))
    output = read_streams(config(start_date=TODAY[0]), STATUS, sync_mode=SyncMode.full_refresh)
    (error,) = [m.trace.error for m in output.errors if m.trace.error.stream_descriptor]
    assert error.failure_type == FailureType.config_error
    assert "needs the Data > Workforce Management > Agent Status Changes permission" in error.message


@freeze_time(NOW)
def test_a_200_without_state_changes_is_asked_again(http_mocker: HttpMocker, pauses: list[float]) -> None:
    output = read_today(
        http_mocker, HttpResponse('{"agentsInfo": []}'), status_page([change("2026-11-25T01:00:00.000Z")])
    )
    assert not output.errors and len(output.records) == 1 and pauses == [5.0]


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("saved", "written"),
    [
        ("2026-11-25T09:18:51.625Z", "2026-11-25T09:18:51Z"),
        ("2026-11-25T11:18:51+02:00", "2026-11-25T09:18:51Z"),
        ("2026-11-25T09:18:51Z", None),  # already as the cursor writes it
        ("2026-12-25T00:00:00Z", "2026-11-25T10:07:30Z"),  # in the future (the clock is frozen): now
    ],
)
def test_a_saved_time_in_any_rfc_3339_form_is_taken_and_never_trusted_past_now(saved: str, written: str | None) -> None:
    migration = SavedCursorStateMigration(
        config={"interval_duration": 15},
        parameters={"name": STATUS},
        cursor_field="time",
        on_interval_grid=False,
        cursor_end=STATUS_END,
    )
    assert migration.should_migrate({"time": saved}) == (written is not None)
    if written:
        assert migration.migrate({"time": saved}) == {"time": written}


def test_a_saved_time_that_is_no_time_is_a_config_error_saying_how_to_mend_it() -> None:
    with pytest.raises(AirbyteTracedException) as refused:
        SavedCursorStateMigration(
            config={"interval_duration": 15},
            parameters={"name": STATUS},
            cursor_field="time",
            on_interval_grid=False,
            cursor_end=STATUS_END,
        ).should_migrate({"time": "yesterday"})
    assert refused.value.failure_type == FailureType.config_error
    assert refused.value.message == (
        "agent_status_changes: the saved state {'time': 'yesterday'} is not an RFC 3339 date-time. Reset the stream, "
        "or give a state such as {'time': '2024-05-01T00:00:00Z'}."
    )


@freeze_time(NOW)
def test_another_400_stops_the_stream_quoting_liveperson_s_causes(http_mocker: HttpMocker) -> None:
    refusal = {"message": "Bad Request", "causes": ["offset: must be greater than or equal to 0"]}
    for limit in ("5000", "1000", "100", "50"):
        http_mocker.get(status_request(*TODAY, limit=limit), HttpResponse(json.dumps(refusal), 400))
    for limit in ("20000", "5000", "1000", "100", "50"):
        http_mocker.get(status_request(*RECENT, limit=limit), HttpResponse(json.dumps(refusal), 400))
    output = read_today(http_mocker, HttpResponse(json.dumps(refusal), 400))
    (error,) = [m.trace.error for m in output.errors if m.trace.error.stream_descriptor]
    assert error.failure_type == FailureType.config_error
    assert error.message == (
        "LivePerson refused the request (HTTP 400): Bad Request offset: must be greater than or equal to 0"
    )


@freeze_time(NOW)
def test_without_a_start_date_it_starts_where_the_interval_streams_do_in_as_many_windows_as_workers(
    http_mocker: HttpMocker,
) -> None:
    """14 days back (plus the interval streams' 15 minutes, on the interval grid) to now, in 4 windows for 4
    workers: 14 days / 4, rounded up to whole days."""
    mock_sign_in(http_mocker)
    bounds = ["2026-11-11T10:30:00Z", "2026-11-15T10:30:00Z", "2026-11-19T10:30:00Z", "2026-11-23T10:30:00Z", NOW]
    for start, end in zip(bounds, bounds[1:], strict=False):
        http_mocker.get(status_request(start, end), status_page([]))
    cfg = {key: value for key, value in config().items() if key != "start_date"}
    output = read_streams(cfg, STATUS, sync_mode=SyncMode.full_refresh)
    assert not output.errors


@freeze_time(NOW)
def test_a_refused_limit_is_met_by_stepping_down_the_documented_sizes(
    http_mocker: HttpMocker,
) -> None:
    """ "Bad Request" says nothing; the window asked again with the documented sizes, refused with 5000 and taken with
    1000, does: the page size is learned in two more requests, and every request after asks 1000."""
    mock_sign_in(http_mocker)
    refusal = HttpResponse(json.dumps({"message": "Bad Request"}), 400)
    http_mocker.get(status_request(*TODAY), refusal)
    http_mocker.get(status_request(*TODAY, limit="5000"), refusal)
    http_mocker.get(status_request(*TODAY, limit="1000"), status_page([change("2026-11-25T08:00:00.000Z")]))
    output = read_streams(config(start_date=TODAY[0]), STATUS, sync_mode=SyncMode.full_refresh)
    assert not output.errors and len(output.records) == 1


@freeze_time(NOW)
def test_a_refusal_no_page_size_mends_is_the_user_s_to_fix_quoted_in_full(http_mocker: HttpMocker) -> None:
    mock_sign_in(http_mocker)
    refusal = HttpResponse(json.dumps({"message": "Bad Request", "causes": ["source: unknown"]}), 400)
    for limit in ("20000", "5000", "1000", "100", "50"):  # the window, then the recent window, at each size
        http_mocker.get(status_request(*TODAY, limit=limit), refusal)
        http_mocker.get(status_request(*RECENT, limit=limit), refusal)
    output = read_streams(config(start_date=TODAY[0]), STATUS, sync_mode=SyncMode.full_refresh)
    (error,) = [m.trace.error for m in output.errors if m.trace.error.message.startswith("LivePerson")]
    assert error.failure_type == FailureType.config_error
    assert error.message == "LivePerson refused the request (HTTP 400): Bad Request source: unknown"


@freeze_time("2026-11-25T10:00:00Z")
def test_a_window_refused_for_its_page_size_and_its_age_is_read_from_the_oldest_hour_kept(
    http_mocker: HttpMocker,
) -> None:
    """On the hour, the window's latest hour is the recent window. LivePerson takes at most 5,000 a page and keeps
    from 2026-11-24T12:00, and says only "Bad Request": no smaller page mends the window; the recent window, refused at
    20,000, is taken at 5,000; the window, still refused, is older than kept, and halving from that recent answer finds
    12:00."""
    mock_sign_in(http_mocker)
    refusal = HttpResponse(json.dumps({"message": "Bad Request"}), 400)
    window = ("2026-11-24T00:00:00Z", "2026-11-25T10:00:00Z")
    http_mocker.get(status_request(*window), refusal)
    http_mocker.get(status_request(*window, limit="5000"), [refusal, refusal])  # stepped down, then with the size
    for limit in ("1000", "100", "50"):
        http_mocker.get(status_request(*window, limit=limit), refusal)
    recent = ("2026-11-25T09:00:00Z", window[1])
    http_mocker.get(status_request(*recent), refusal)
    http_mocker.get(status_request(*recent, limit="5000"), status_page([]))
    for start in ("16", "08", "12", "10", "11"):
        kept = start >= "12"
        answer = status_page([change("2026-11-24T13:00:00.000Z")] if start == "12" else []) if kept else refusal
        http_mocker.get(status_request(f"2026-11-24T{start}:00:00Z", window[1], limit="5000"), answer)
    output = read_streams(config(start_date=window[0], num_workers=1), STATUS, sync_mode=SyncMode.full_refresh)
    assert not output.errors and [r.record.data["time"] for r in output.records] == ["2026-11-24T13:00:00.000Z"]
    warnings = [m.log.message for m in output.logs if m.log.level.value == "WARN"]
    assert warnings[-1].endswith(
        "The status changes from 2026-11-24T00:00:00Z to 2026-11-24T12:00:00Z can no longer be read; this window "
        "starts at 2026-11-24T12:00:00Z."
    )

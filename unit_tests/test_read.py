"""Reads driven through the CDK's entrypoint against mocked LivePerson answers (HttpMocker + freezegun)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from freezegun import freeze_time

from source_interval_metrics import SourceIntervalMetrics
from testkit.schemas import assert_valid_records
from unit_tests.conftest import (
    STREAMS,
    VerifiedHttpMocker,
    config,
    entry,
    metrics_request,
    mock_daily_windows,
    mock_sign_in,
    page,
    read_streams,
)

NOW = "2026-11-25T10:07:00Z"
SKILL = "skill_interval_metrics"


def run(
    cfg: dict[str, Any],
    stream: str,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: dict[str, Any] | None = None,
) -> EntrypointOutput:
    output = read_streams(cfg, stream, sync_mode=sync_mode, state=state)
    assert not output.errors, output.errors
    return output


def records_of(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    records = sorted((m.record.data for m in output.records), key=lambda r: (r["intervalStart"], str(r)))
    assert_valid_records(stream, records)
    return records


def read_two_one_day_windows() -> EntrypointOutput:
    """A full refresh of the skill grouping from yesterday's midnight: one entry in each of its two windows."""
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"),
            page([entry("2026-11-24T09:00:00Z", "2026-11-24T09:15:00Z", skillId=123, skillName="Tech Support")]),
        )
        http_mocker.get(
            metrics_request(SKILL, "2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z"),
            page([entry("2026-11-25T09:45:00Z", "2026-11-25T10:00:00Z", skillId=456, skillName="Sales")]),
        )
        return run(config(), SKILL)


@freeze_time(NOW)
def test_full_refresh_reads_one_day_windows_up_to_the_last_finished_interval() -> None:
    records = records_of(read_two_one_day_windows(), SKILL)
    assert [(r["intervalStart"], r["skillId"]) for r in records] == [
        ("2026-11-24T09:00:00Z", 123),
        ("2026-11-25T09:45:00Z", 456),
    ]


@freeze_time(NOW)
@pytest.mark.parametrize("by_name", ["the catalog's streams alone", "every stream, when the CDK cannot pick"])
def test_a_read_builds_the_catalog_s_streams_and_never_reads_nothing(
    by_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[list[str]] = []
    pick = SourceIntervalMetrics._streams_by_name

    def picked(self: SourceIntervalMetrics, names: list[str]) -> Any:
        streams = pick(self, names) if by_name.startswith("the catalog") else None
        built.append([stream.name for stream in streams or []])
        return streams

    monkeypatch.setattr(SourceIntervalMetrics, "_streams_by_name", picked)
    assert len(records_of(read_two_one_day_windows(), SKILL)) == 2
    assert built == ([[SKILL]] if by_name.startswith("the catalog") else [[]])


@freeze_time(NOW)
def test_a_read_says_each_window_it_read_and_at_the_end_the_range_records_and_state_of_each_stream() -> None:
    output = read_two_one_day_windows()
    said = [m.log.message for m in output.logs if m.log.level.value == "INFO" and m.log.message.startswith(SKILL)]
    windows = sorted(line for line in said if "window(s) of the stream left" in line)
    assert len(windows) == 2 and all(line.startswith(f"{SKILL}: read 1 records from 2026-11-2") for line in windows)
    assert {line.rsplit("; ", 1)[1] for line in windows} == {
        "1 window(s) of the stream left.",
        "0 window(s) of the stream left.",
    }
    assert said[-1] == (
        f"{SKILL}: read 2 of 2 window(s), 2026-11-24T00:00:00Z to 2026-11-25T09:59:59Z, 2 records; "
        "state saved: {'intervalStart': '2026-11-25T09:45:00Z'}."
    )


@freeze_time(NOW)
@pytest.mark.parametrize("stream", list(STREAMS))
def test_each_stream_asks_for_exactly_its_grouping_and_metrics(stream: str) -> None:
    """metrics_request spells out the full query; HttpMocker only answers an identical one."""
    dimension: dict[str, dict[str, Any]] = {
        "skill_interval_metrics": {"skillId": 1},
        "agent_group_interval_metrics": {"agentGroupId": 2},
        "agent_interval_metrics": {"agentId": 3},
        "conversation_interval_metrics": {"conversationId": "c-4"},
    }
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(stream, "2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z"),
            page([entry("2026-11-25T08:00:00Z", "2026-11-25T08:15:00Z", **dimension[stream])]),
        )
        records = records_of(run(config(start_date="2026-11-25T00:00:00Z"), stream), stream)
    assert len(records) == 1


@freeze_time(NOW)
def test_request_parameters_follow_the_config() -> None:
    cfg = config(
        start_date="2026-11-25T00:00:00Z",
        handle_time_model="EHT",
        interval_duration=60,
        page_size=50,
        include_bot_skills=True,
        request_source="wfm-sync",
    )
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(
                SKILL,
                "2026-11-25T00:00:00Z",
                "2026-11-25T10:00:00Z",
                handleTimeModel="EHT",
                intervalDuration="60",
                pageSize="50",
                includeBotSkills="true",
                source="wfm-sync",
            ),
            page([entry("2026-11-25T08:00:00Z", "2026-11-25T09:00:00Z", skillId=7)]),
        )
        records = records_of(run(cfg, SKILL), SKILL)
    assert records[0]["handleTimeModel"] == "EHT"
    assert records[0]["intervalDuration"] == 60


@freeze_time(NOW)
def test_incremental_sync_starts_at_state_minus_lookback_and_saves_the_last_interval() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-25T07:00:00Z", "2026-11-25T10:00:00Z"),
            page(
                [
                    entry("2026-11-25T07:00:00Z", "2026-11-25T07:15:00Z", skillId=1),
                    entry("2026-11-25T09:45:00Z", "2026-11-25T10:00:00Z", skillId=1),
                ]
            ),
        )
        output = run(config(), SKILL, SyncMode.incremental, {"intervalStart": "2026-11-25T08:00:00Z"})
    assert [r["intervalStart"] for r in records_of(output, SKILL)] == [
        "2026-11-25T07:00:00Z",
        "2026-11-25T09:45:00Z",
    ]
    assert output.most_recent_state.stream_state.__dict__ == {"intervalStart": "2026-11-25T09:45:00Z"}


@freeze_time(NOW)
def test_a_state_off_the_interval_grid_is_rounded_down_after_the_lookback() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-25T07:00:00Z", "2026-11-25T10:00:00Z"),
            page([entry("2026-11-25T07:00:00Z", "2026-11-25T07:15:00Z", skillId=1)]),
        )
        output = run(config(), SKILL, SyncMode.incremental, {"intervalStart": "2026-11-25T08:07:13Z"})
    # 08:07:13 less the hour of lookback is 07:07:13, rounded down to 07:00: the window asked above, and nothing else;
    # the state, saved as 08:00 (07:00 plus the lookback), never moves back to a re-read interval
    assert not output.errors
    assert [r["intervalStart"] for r in records_of(output, SKILL)] == ["2026-11-25T07:00:00Z"]
    assert output.most_recent_state.stream_state.__dict__ == {"intervalStart": "2026-11-25T08:00:00Z"}


@freeze_time(NOW)
def test_daily_intervals_with_an_hour_of_lookback_start_at_midnight() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", intervalDuration="1440"),
            page([entry("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", skillId=1)]),
        )
        http_mocker.get(
            metrics_request(SKILL, "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", intervalDuration="1440"),
            page([entry("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", skillId=1)]),
        )
        cfg = {key: value for key, value in config(interval_duration=1440).items() if key != "start_date"}
        output = run(cfg, SKILL, SyncMode.incremental, {"intervalStart": "2026-11-24T00:00:00Z"})
    assert [r["intervalStart"] for r in records_of(output, SKILL)] == [
        "2026-11-23T00:00:00Z",
        "2026-11-24T00:00:00Z",
    ]


@freeze_time(NOW)
def test_paging_follows_next_page_key_through_an_empty_page_then_refs_next() -> None:
    next_ref = (
        "/api/account/123456/interval-metrics?v=1&source=airbyte&limit=500&offset=1000"
        "&handleTimeModel=IFT&fromL=1795564800000&toL=1795600800000"
    )
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        window = ("2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z")
        http_mocker.get(
            metrics_request(SKILL, *window),
            page([entry("2026-11-25T01:00:00Z", "2026-11-25T01:15:00Z", skillId=1)], next_page_key="k1"),
        )
        http_mocker.get(metrics_request(SKILL, *window, pageKey="k1"), page([], next_page_key="k2"))
        http_mocker.get(
            metrics_request(SKILL, *window, pageKey="k2"),
            page([entry("2026-11-25T02:00:00Z", "2026-11-25T02:15:00Z", skillId=1)], next_ref=next_ref),
        )
        http_mocker.get(
            metrics_request(SKILL, *window, offset="1000", limit="500"),
            page([entry("2026-11-25T03:00:00Z", "2026-11-25T03:15:00Z", skillId=1)]),
        )
        output = run(config(start_date="2026-11-25T00:00:00Z"), SKILL)
    assert [r["intervalStart"][11:16] for r in records_of(output, SKILL)] == ["01:00", "02:00", "03:00"]


@freeze_time(NOW)
def test_an_interval_at_a_window_boundary_is_emitted_once() -> None:
    """The API answers with every interval that overlaps the window, so both windows return 23:45 and 00:00."""
    boundary = [
        entry("2026-11-24T23:45:00Z", "2026-11-25T00:00:00Z", skillId=9, metrics={"handleTime": 1}),
        entry("2026-11-25T00:00:00Z", "2026-11-25T00:15:00Z", skillId=9, metrics={"handleTime": 2}),
    ]
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(metrics_request(SKILL, "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"), page(boundary))
        http_mocker.get(metrics_request(SKILL, "2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z"), page(boundary))
        records = records_of(run(config(), SKILL), SKILL)
    assert [(r["intervalStart"], r["handleTime"]) for r in records] == [
        ("2026-11-24T23:45:00Z", 1),
        ("2026-11-25T00:00:00Z", 2),
    ]


@freeze_time(NOW)
def test_ids_and_counts_sent_as_strings_or_floats_become_integers_and_new_fields_are_kept() -> None:
    stream = "agent_interval_metrics"
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(stream, "2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z"),
            page(
                [
                    entry(
                        "2026-11-25T05:00:00Z",
                        "2026-11-25T05:15:00Z",
                        agentId="456",
                        agentName="Jane Doe",
                        agentLogin="jane@brand.example",
                        skillId="12",
                        skillName="Sales",
                        agentShift="early",
                        metrics={
                            "handleTime": 360.5,
                            "handledConversations": 3.0,
                            "agentMessages": "7",
                            "holdTime": 12,
                        },
                    )
                ]
            ),
        )
        (record,) = records_of(run(config(start_date="2026-11-25T00:00:00Z"), stream), stream)
    assert record == {
        "accountId": "123456",
        "intervalStart": "2026-11-25T05:00:00Z",
        "intervalEnd": "2026-11-25T05:15:00Z",
        "intervalDuration": 15,
        "handleTimeModel": "IFT",
        "agentId": 456,
        "agentName": "Jane Doe",
        "agentLogin": "jane@brand.example",
        "skillId": 12,
        "skillName": "Sales",
        "agentShift": "early",
        "handleTime": 360.5,
        "handledConversations": 3,
        "agentMessages": 7,
        "holdTime": 12,
    }
    assert type(record["handledConversations"]) is int and type(record["agentMessages"]) is int


@freeze_time(NOW)
@pytest.mark.parametrize("start_date", ["2026-10-01T00:00:00Z", None])
def test_windows_never_reach_past_the_api_s_fourteen_days(start_date: str | None) -> None:
    """Now - 14 days + 15 minutes is 2026-11-11T10:22; the first window starts at the next boundary, 10:30."""
    cfg = config(start_date=start_date) if start_date else {k: v for k, v in config().items() if k != "start_date"}
    start = dt.datetime(2026, 11, 11, 10, 30, tzinfo=dt.UTC)
    end = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        mock_daily_windows(http_mocker, SKILL, start, end)
        output = run(cfg, SKILL)
    assert output.records == []

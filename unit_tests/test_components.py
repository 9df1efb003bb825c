"""Each custom component on its own."""

from __future__ import annotations

import copy
import gzip
import io
import json
from typing import Any

import pytest
import requests
import urllib3
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    get_declarative_component_schema,
    validate_manifest,
)
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from jsonschema import ValidationError

from source_interval_metrics import SourceIntervalMetrics
from source_interval_metrics.components.decoder import JsonArrayItemsDecoder
from source_interval_metrics.components.paging import NextPageKeyPaginationStrategy
from source_interval_metrics.components.records import (
    IntervalRecordExtractor,
    IntervalStartInWindowRecordFilter,
    TypedFieldsTransformation,
)
from source_interval_metrics.components.state import SavedCursorStateMigration
from source_interval_metrics.interval_grid import to_rfc3339
from source_interval_metrics.manifest import manifest

CONFIG = {
    "account_id": "123456",
    "interval_duration": 15,
    "handle_time_model": "EHT",
    "lookback_window": "PT1H",
}
REQUEST_URL = "https://va.agentactivity.liveperson.net/api/account/123456/interval-metrics?v=1&from=x"

END = manifest()["definitions"]["incremental_sync"]["end_datetime"]  # the cursor's, as the manifest says it


def response(body: Any, url: str = REQUEST_URL) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer.raw = io.BytesIO(json.dumps(body).encode())
    answer.request = requests.Request("GET", url).prepare()
    return answer


def paging(**fields: Any) -> requests.Response:
    return response({"metadata": {"paging": fields, "count": 0}, "intervals": []})


# --- IntervalRecordExtractor ---------------------------------------------------------------------------------------


def test_extractor_lifts_metrics_coerces_ids_and_adds_context() -> None:
    extractor = IntervalRecordExtractor(config=CONFIG, parameters={})
    body = {
        "intervals": [
            {
                "timeframe": {
                    "from": "2023-02-07T13:15:00Z",
                    "fromL": 1,
                    "to": "2023-02-07T13:30:00Z",
                    "toL": 2,
                },
                "skillId": "456",
                "skillName": "Sales",
                "agentGroupId": 7,
                "conversationId": "0042",
                "metrics": {"handleTime": 360, "arrivals": 360},
            }
        ]
    }
    assert list(extractor.extract_records(response(body))) == [
        {
            "accountId": "123456",
            "intervalStart": "2023-02-07T13:15:00Z",
            "intervalEnd": "2023-02-07T13:30:00Z",
            "intervalDuration": 15,
            "handleTimeModel": "EHT",
            "skillId": 456,
            "skillName": "Sales",
            "agentGroupId": 7,
            "conversationId": "0042",
            "handleTime": 360,
            "arrivals": 360,
        }
    ]


def test_extractor_normalises_times_and_falls_back_to_epoch_milliseconds() -> None:
    extractor = IntervalRecordExtractor(config=CONFIG, parameters={})
    body = {"intervals": [{"timeframe": {"fromL": 1675776000000, "to": "2023-02-07T15:45:00.000+02:00"}}]}
    (record,) = extractor.extract_records(response(body))
    assert (record["intervalStart"], record["intervalEnd"]) == (
        "2023-02-07T13:20:00Z",
        "2023-02-07T13:45:00Z",
    )


def test_extractor_yields_nothing_for_a_body_without_intervals() -> None:
    extractor = IntervalRecordExtractor(config=CONFIG, parameters={})
    assert list(extractor.extract_records(response({"metadata": {"count": 0}}))) == []


@pytest.mark.parametrize("value", ["2024-05-01T00:00:00Z", "2024-05-01T00:00:00.000Z", "2024-05-01T02:00:00+02:00"])
def test_to_rfc3339_gives_utc_with_z(value: str) -> None:
    assert to_rfc3339(value) == "2024-05-01T00:00:00Z"


# --- IntervalStartInWindowRecordFilter --------------------------------------------------------------------------------


def test_filter_keeps_intervals_starting_inside_the_window_both_ends_included() -> None:
    window = StreamSlice(
        partition={}, cursor_slice={"start_time": "2026-11-24T00:00:00Z", "end_time": "2026-11-24T23:59:59Z"}
    )
    starts = ["2026-11-23T23:45:00Z", "2026-11-24T00:00:00Z", "2026-11-24T23:45:00Z", "2026-11-25T00:00:00Z"]
    kept = IntervalStartInWindowRecordFilter(config=CONFIG, parameters={}).filter_records(
        [{"intervalStart": start} for start in starts], stream_state={}, stream_slice=window
    )
    assert [r["intervalStart"] for r in kept] == starts[1:3]


# --- NextPageKeyPaginationStrategy ------------------------------------------------------------------------------------


def strategy() -> NextPageKeyPaginationStrategy:
    return NextPageKeyPaginationStrategy(config=CONFIG, parameters={})


def test_paginator_follows_next_page_key_even_from_an_empty_page() -> None:
    token = strategy().next_page_token(paging(nextPageKey="abc"), last_page_size=0, last_record=None)
    assert token == {"pageKey": "abc", "followed": ("pageKey=abc",)}


def test_paginator_prefers_next_page_key_over_refs_next() -> None:
    token = strategy().next_page_token(
        paging(nextPageKey="abc", refs={"next": "/x?offset=100&limit=100"}),
        last_page_size=1,
        last_record=None,
    )
    assert token is not None and token["pageKey"] == "abc"


def test_paginator_takes_the_paging_parameters_of_refs_next() -> None:
    link = "/api/account/123456/interval-metrics?v=1&source=postmanTest&limit=100&offset=100&fromL=1&toL=2"
    token = strategy().next_page_token(paging(refs={"next": link}), last_page_size=100, last_record=None)
    assert token == {"limit": "100", "offset": "100", "followed": ("limit=100&offset=100",)}


def test_paginator_stops_only_when_both_are_absent() -> None:
    assert strategy().next_page_token(paging(refs={"current": "/x"}), last_page_size=5, last_record=None) is None


def test_paginator_refuses_a_key_to_an_earlier_page_of_the_window() -> None:
    """The page just read, named again, is asked again by the error handler; an earlier one would repeat entries."""
    first = strategy().next_page_token(paging(nextPageKey="a"), last_page_size=1, last_record=None)
    second = strategy().next_page_token(paging(nextPageKey="b"), 1, None, last_page_token_value=first)
    with pytest.raises(AirbyteTracedException, match=r"next page \(pageKey=a\) is a page this window has read already"):
        strategy().next_page_token(paging(nextPageKey="a"), 1, None, last_page_token_value=second)


def test_paginator_refuses_a_next_link_to_another_host() -> None:
    with pytest.raises(AirbyteTracedException, match="another host"):
        strategy().next_page_token(paging(refs={"next": "https://evil.example/x?offset=1"}), 1, None)


def test_paginator_accepts_an_absolute_next_link_to_the_same_host() -> None:
    link = "https://va.agentactivity.liveperson.net/api/account/123456/interval-metrics?offset=500&limit=500"
    token = strategy().next_page_token(paging(refs={"next": link}), 1, None)
    assert token is not None and token["offset"] == "500"


def test_paginator_refuses_a_next_link_without_paging_parameters() -> None:
    with pytest.raises(AirbyteTracedException, match="no paging parameter"):
        strategy().next_page_token(paging(refs={"next": "/x?v=1"}), 1, None)


def test_paginator_keeps_no_state_between_windows() -> None:
    shared = strategy()
    assert shared.next_page_token(paging(nextPageKey="k"), 1, None) == shared.next_page_token(
        paging(nextPageKey="k"), 1, None
    )


# --- SavedCursorStateMigration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "lookback", "saved", "aligned"),
    [
        (15, "PT1H", "2026-11-25T08:00:00Z", "2026-11-25T08:00:00Z"),
        (15, "PT1H", "2026-11-25T08:07:13Z", "2026-11-25T08:00:00Z"),
        (15, "PT50M", "2026-11-25T08:00:00Z", "2026-11-25T07:50:00Z"),  # 07:50 - 50 min = 07:00
        (1440, "PT1H", "2026-11-24T00:00:00Z", "2026-11-23T01:00:00Z"),  # 01:00 - 1 h = midnight
        (60, "P1D", "2026-11-24T10:30:00+00:00", "2026-11-24T10:00:00Z"),
    ],
)
def test_state_minus_lookback_lands_on_an_interval_boundary(
    duration: int, lookback: str, saved: str, aligned: str
) -> None:
    migration = SavedCursorStateMigration(
        config={**CONFIG, "interval_duration": duration, "lookback_window": lookback}, parameters={}, cursor_end=END
    )
    state = {"intervalStart": saved}
    migrated = migration.migrate(state) if migration.should_migrate(state) else state
    assert migrated == {"intervalStart": aligned}
    assert not migration.should_migrate(migrated)


def test_state_migration_leaves_empty_and_concurrent_states_alone_and_drops_a_full_refresh_s_mark() -> None:
    """A stream synced in full refresh before carries the CDK's mark; switched to incremental, the mark is dropped
    and it reads from the start (it is this connector's state, not another's)."""
    migration = SavedCursorStateMigration(config=CONFIG, parameters={}, cursor_end=END)
    assert not migration.should_migrate({})
    assert not migration.should_migrate({"state_type": "date-range", "slices": []})
    for marked in ({"__ab_no_cursor_state_message": True}, {"__ab_full_refresh_sync_complete": True}):
        assert migration.should_migrate(marked) and migration.migrate(marked) == {}


def test_a_state_that_is_not_a_date_is_a_config_error() -> None:
    migration = SavedCursorStateMigration(config=CONFIG, parameters={}, cursor_end=END)
    with pytest.raises(AirbyteTracedException) as raised:
        migration.should_migrate({"intervalStart": "yesterday"})
    assert raised.value.failure_type == FailureType.config_error
    assert "yesterday" in (raised.value.message or "")


@pytest.mark.parametrize(
    ("cursor_field", "foreign"),
    [("intervalStart", {"updated_at": "2026-11-24T00:00:00Z"}), ("time", {"intervalStart": "2026-11-24T00:00:00Z"})],
)
def test_a_state_without_the_cursor_field_is_another_connector_s_refused_naming_the_stream_and_the_key(
    cursor_field: str, foreign: dict[str, str]
) -> None:
    migration = SavedCursorStateMigration(
        config=CONFIG, parameters={"name": "a_stream"}, cursor_end=END, cursor_field=cursor_field
    )
    with pytest.raises(AirbyteTracedException) as raised:
        migration.should_migrate(foreign)
    assert raised.value.failure_type == FailureType.config_error
    assert (raised.value.message or "").startswith(f"a_stream: the saved state {foreign!r} was not written by this")
    assert f"it has no '{cursor_field}'. Reset the stream" in (raised.value.message or "")


def test_keys_beside_the_cursor_field_are_dropped_with_a_warning_never_carried_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    migration = SavedCursorStateMigration(config=CONFIG, parameters={"name": "a_stream"}, cursor_end=END)
    state = {"intervalStart": "2026-11-25T08:00:00Z", "cursor": "abc"}
    assert migration.should_migrate(state)
    assert migration.migrate(state) == {"intervalStart": "2026-11-25T08:00:00Z"}
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("a_stream: the saved state has keys this connector does not write (cursor)")


def test_typed_fields_are_integers_and_booleans_wherever_they_sit_and_other_values_stay() -> None:
    typed = TypedFieldsTransformation(
        parameters={},
        integers=["id", "skillIds", "managerOf.agentGroupId", "memberOf.agentGroupId"],
        booleans=["deleted"],
    )
    record = {
        "id": "4001",
        "skillIds": ["101", 102],
        "managerOf": [{"agentGroupId": "11", "assignmentDate": "2025-06-25 11:36:45"}],
        "memberOf": [{"agentGroupId": "12"}],
        "deleted": "TRUE",
        "employeeId": "00042",
        "loginName": "ana",
    }
    typed.transform(record)
    assert record == {
        "id": 4001,
        "skillIds": [101, 102],
        "managerOf": [{"agentGroupId": 11, "assignmentDate": "2025-06-25 11:36:45"}],
        "memberOf": [{"agentGroupId": 12}],
        "deleted": True,
        "employeeId": "00042",  # not an id LivePerson counts with: kept as text
        "loginName": "ana",
    }
    absent = {"id": 7}
    typed.transform(absent)
    assert absent == {"id": 7}


def test_the_packaged_manifest_is_valid_against_the_cdk_s_component_schema() -> None:
    """What the CDK checks at every start, and the source leaves to this test (the manifest is packaged, constant)."""
    source = SourceIntervalMetrics(source_config=manifest())
    validate_manifest(source.resolved_manifest, get_declarative_component_schema())
    broken = copy.deepcopy(dict(source.resolved_manifest))
    broken["streams"][0]["retriever"]["type"] = "NoSuchRetriever"
    with pytest.raises(ValidationError):
        validate_manifest(broken, get_declarative_component_schema())


def streamed(body: bytes, encoding: str | None = None) -> requests.Response:
    """An answer whose body is read as it streams in, gzipped when `encoding` says so."""
    response = requests.Response()
    response.status_code = 200
    headers = {"Content-Encoding": encoding} if encoding else {}
    sent = gzip.compress(body) if encoding == "gzip" else body
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(sent), headers=headers, preload_content=False)
    return response


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_roster_body_is_decoded_item_by_item_as_it_streams_in(encoding: str | None) -> None:
    users = [{"id": n, "loginName": f"agent{n}", "skillIds": [1, 2], "maxChats": 2.5} for n in range(3)]
    decoder = JsonArrayItemsDecoder(parameters={"name": "users"})
    items = decoder.decode(streamed(json.dumps(users).encode(), encoding))
    assert decoder.is_stream_response() and next(items) == users[0]  # the first before the rest is read
    assert list(items) == users[1:]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b' {"message": "busy"}', """a body that starts '{"message": "busy"}'"""),
        (b"", "an empty body"),
        (b'[{"id": 1}, {"id"', "a body that is cut off or not JSON (parse error: premature EOF"),
    ],
)
def test_a_roster_body_that_is_not_a_list_is_a_transient_error_naming_the_stream(body: bytes, found: str) -> None:
    items = JsonArrayItemsDecoder(parameters={"name": "skills"}).decode(streamed(body))
    with pytest.raises(AirbyteTracedException) as raised:
        list(items)
    assert raised.value.failure_type == FailureType.transient_error
    said = raised.value.message or ""
    assert said.startswith(f"LivePerson answered skills with {found}") and "\n" not in said
    assert said.endswith("where the list of all items belongs. Try the sync again later.")

"""Combined groupings: each `extra_groupings` entry, canonicalised, is a stream with its own name, key, metrics and
schema; discover lists it, and a read asks LivePerson for exactly that grouping."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from freezegun import freeze_time

from source_interval_metrics import SourceIntervalMetrics, groupings
from source_interval_metrics.interval_grid import one_second_before
from source_interval_metrics.manifest import manifest
from testkit.schemas import assert_valid_records, schema
from unit_tests.conftest import METRICS_URL, config, entry, mock_sign_in, page, read_streams

# The contract's rule, restated here to hold the manifest to it: each dimension's part of a stream name and its fields
# (the id first), in the canonical order; the metrics a combination asks for.
DIMENSIONS = {
    "skill": ("skill", ["skillId", "skillName"]),
    "agentGroup": ("agent_group", ["agentGroupId", "agentGroupName"]),
    "agent": ("agent", ["agentId", "agentName", "agentLogin"]),
    "conversation": ("conversation", ["conversationId"]),
}
SERIES_KEY = ["accountId", "intervalStart", "intervalDuration", "handleTimeModel"]
COMMON_FIELDS = [*SERIES_KEY, "intervalEnd"]
METRICS = [
    "handleTime",
    "handledConversations",
    "repliedConversations",
    "consumerMessages",
    "agentMessages",
    "workTime",
]
COMBINATIONS = [c for size in (2, 3, 4) for c in itertools.combinations(DIMENSIONS, size)]


def declared_combined_streams() -> dict[str, tuple[str, dict[str, Any]]]:
    """The manifest's combined-grouping streams: name -> (the entry its condition asks for, the stream definition)."""
    declared = {}
    for declared_entry in manifest()["streams"]:
        if declared_entry.get("type") == "ConditionalStreams":
            (stream,) = declared_entry["streams"]
            (asked,) = re.findall(r"'([a-zA-Z,]+)' in config\['extra_groupings'\]", declared_entry["condition"])
            declared[stream["$parameters"]["name"]] = (asked, stream)
    return declared


@pytest.mark.parametrize("dimensions", COMBINATIONS, ids=",".join)
def test_the_manifest_declares_each_combination_as_the_contract_names_it(dimensions: tuple[str, ...]) -> None:
    name = "_".join(DIMENSIONS[d][0] for d in dimensions) + "_interval_metrics"
    asked, stream = declared_combined_streams()[name]
    assert asked == ",".join(dimensions) == groupings.parse(", ".join(reversed(dimensions))).grouping
    assert stream["primary_key"] == [*SERIES_KEY, *(DIMENSIONS[d][1][0] for d in dimensions)]
    asks = [m for m in METRICS if "conversation" not in dimensions or m not in ("consumerMessages", "agentMessages")]
    assert stream["$parameters"]["grouping"] == asked
    assert stream["$parameters"]["metrics"] == ",".join(asks)


@pytest.mark.parametrize("dimensions", COMBINATIONS, ids=",".join)
def test_a_combined_schema_types_each_field_as_the_single_grouping_streams_do(dimensions: tuple[str, ...]) -> None:
    name = "_".join(DIMENSIONS[d][0] for d in dimensions) + "_interval_metrics"
    combined = schema(name)
    fields = [field for d in dimensions for field in DIMENSIONS[d][1]]
    asks = [m for m in METRICS if "conversation" not in dimensions or m not in ("consumerMessages", "agentMessages")]
    singles = {
        field: schema(f"{DIMENSIONS[d][0]}_interval_metrics")["properties"][field]
        for d in dimensions
        for field in DIMENSIONS[d][1]
    }
    skill = schema("skill_interval_metrics")["properties"]
    assert combined["required"] == [*SERIES_KEY, *(DIMENSIONS[d][1][0] for d in dimensions)]
    assert combined["additionalProperties"] is True
    assert combined["properties"] == {
        **{field: skill[field] for field in COMMON_FIELDS},
        **singles,
        **{metric: skill[metric] for metric in asks},
    }
    assert set(combined["properties"]) == {*COMMON_FIELDS, *fields, *asks}


def test_there_is_one_combined_stream_for_each_combination_and_no_other() -> None:
    assert len(declared_combined_streams()) == len(COMBINATIONS) == 11


@pytest.mark.parametrize(
    ("entries", "said"),
    [
        (["skill,queue"], "names 'queue'; the dimensions are skill, agentGroup, agent, conversation"),
        (["agent"], "has one dimension; its stream agent_interval_metrics exists already"),
        (["skill,skill"], "repeats a dimension"),
        (["skill,agent", "agent, skill"], "are the same combination (skill,agent)"),
        ([7], "must be a string such as 'skill,agent'"),
    ],
)
def test_a_bad_entry_is_a_config_error_naming_extra_groupings_and_the_entry(entries: list[Any], said: str) -> None:
    with pytest.raises(ValueError, match="extra_groupings entr") as raised:
        groupings.combinations({"extra_groupings": entries})
    assert said in str(raised.value)


def test_discover_lists_the_five_streams_and_one_per_combination() -> None:
    cfg = config(extra_groupings=["agent, skill", "conversation,skill"])
    streams = {
        s.name: s
        for s in discover(SourceIntervalMetrics(None, cfg, None, source_config=manifest()), cfg).catalog.catalog.streams
    }
    assert len(streams) == 12  # the four groupings, status changes, the roster's five, and the two combinations
    combined = streams["skill_agent_interval_metrics"]
    assert combined.source_defined_primary_key == [
        ["accountId"],
        ["intervalStart"],
        ["intervalDuration"],
        ["handleTimeModel"],
        ["skillId"],
        ["agentId"],
    ]
    assert (combined.default_cursor_field, set(combined.supported_sync_modes)) == (
        ["intervalStart"],
        {SyncMode.full_refresh, SyncMode.incremental},
    )
    assert "conversationId" in streams["skill_conversation_interval_metrics"].json_schema["properties"]


@freeze_time("2026-11-25T10:07:00Z")
def test_a_combined_stream_asks_for_its_grouping_and_metrics(http_mocker: HttpMocker) -> None:
    mock_sign_in(http_mocker)
    query = {
        "v": "1",
        "source": "airbyte",
        "handleTimeModel": "IFT",
        "metrics": "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
        "grouping": "skill,agent",
        "intervalDuration": "15",
        "pageSize": "500",
        "includeBotSkills": "false",
        "from": "2026-11-25T00:00:00Z",
        "to": one_second_before("2026-11-25T10:00:00Z"),
    }
    fields = {"skillId": "12", "skillName": "Sales", "agentId": 7, "agentName": "Jo", "agentLogin": "jo@brand.example"}
    http_mocker.get(
        HttpRequest(METRICS_URL, query_params=query),
        page([entry("2026-11-25T08:00:00Z", "2026-11-25T08:15:00Z", **fields)]),
    )
    cfg = config(start_date="2026-11-25T00:00:00Z", extra_groupings=["agent,skill"])
    output = read_streams(cfg, "skill_agent_interval_metrics")
    assert not output.errors
    (record,) = [message.record.data for message in output.records]
    assert (record["skillId"], record["agentId"]) == (12, 7)
    assert_valid_records("skill_agent_interval_metrics", [record])
    assert output.most_recent_state.stream_state.__dict__ == {"intervalStart": "2026-11-25T08:00:00Z"}

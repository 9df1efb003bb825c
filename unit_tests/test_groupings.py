"""Combined groupings: each `extra_groupings` entry, canonicalised, is a stream with its own name, key, metrics and
schema; discover lists it, and a read asks LivePerson for exactly that grouping."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from freezegun import freeze_time

from source_interval_metrics import SourceIntervalMetrics, groupings
from source_interval_metrics.interval_grid import one_second_before
from unit_tests.conftest import METRICS_URL, config, entry, mock_sign_in, page, read_streams
from unit_tests.schemas import assert_valid_records


@pytest.mark.parametrize(
    ("entry", "name", "key", "metrics"),
    [
        ("skill,agent", "skill_agent_interval_metrics", ["skillId", "agentId"], 6),
        ("agent, skill", "skill_agent_interval_metrics", ["skillId", "agentId"], 6),
        ("agent,agentGroup", "agent_group_agent_interval_metrics", ["agentGroupId", "agentId"], 6),
        ("conversation,skill", "skill_conversation_interval_metrics", ["skillId", "conversationId"], 4),
        (
            " conversation , agent,agentGroup,skill ",
            "skill_agent_group_agent_conversation_interval_metrics",
            ["skillId", "agentGroupId", "agentId", "conversationId"],
            4,
        ),
    ],
)
def test_an_entry_becomes_its_canonical_stream(entry: str, name: str, key: list[str], metrics: int) -> None:
    combination = groupings.parse(entry)
    assert combination.name == name
    assert combination.primary_key == ["accountId", "intervalStart", "intervalDuration", "handleTimeModel", *key]
    assert len(combination.metrics) == metrics
    assert not {"arrivals", "closedConversations"} & set(combination.metrics)
    assert ("consumerMessages" in combination.metrics) == ("conversationId" not in key)


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


def test_the_schema_is_derived_from_the_dimensions() -> None:
    schema = groupings.schema(groupings.parse("skill,agent"))
    assert schema["required"] == [
        "accountId",
        "intervalStart",
        "intervalDuration",
        "handleTimeModel",
        "skillId",
        "agentId",
    ]
    assert {"skillName", "agentName", "agentLogin", "handleTime", "workTime"} <= schema["properties"].keys()
    assert not {"agentGroupId", "conversationId", "arrivals", "closedConversations"} & schema["properties"].keys()
    assert schema["properties"]["agentId"]["type"] == "integer"


def test_discover_lists_the_five_streams_and_one_per_combination() -> None:
    cfg = config(extra_groupings=["agent, skill", "conversation,skill"])
    streams = {s.name: s for s in discover(SourceIntervalMetrics(None, cfg, None), cfg).catalog.catalog.streams}
    assert len(streams) == 7
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

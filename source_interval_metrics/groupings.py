"""Combined groupings (`extra_groupings`): each combination of dimensions is a stream of its own.

Its name, primary key, metrics and schema all follow from its dimensions, so its definition is made here from the
config and added to the manifest's streams; the four single-grouping streams stay as the manifest declares them.
The CDK's `dynamic_streams` (experimental in 7.x) could map one config entry to one stream, but not put the
dimensions in canonical order, refuse a bad entry by name, or derive the schema.
"""

from __future__ import annotations

import json
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

# Each dimension, in the canonical order: its part of a stream name (its single-grouping stream is that part and
# `_interval_metrics`) and its fields, the id first.
DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "skill": ("skill", ("skillId", "skillName")),
    "agentGroup": ("agent_group", ("agentGroupId", "agentGroupName")),
    "agent": ("agent", ("agentId", "agentName", "agentLogin")),
    "conversation": ("conversation", ("conversationId",)),
}
# An interval of one series: a change of interval length or handle-time model starts another, beside it.
SERIES_KEY = ("accountId", "intervalStart", "intervalDuration", "handleTimeModel")
COMMON_FIELDS = ("accountId", "intervalStart", "intervalEnd", "intervalDuration", "handleTimeModel")
METRICS = (
    "handleTime",
    "handledConversations",
    "repliedConversations",
    "consumerMessages",
    "agentMessages",
    "workTime",
)
NOT_BY_CONVERSATION = ("consumerMessages", "agentMessages")  # the method page advises against them per conversation


@dataclass(frozen=True)
class Combination:
    """Two or more dimensions, in the canonical order skill, agentGroup, agent, conversation."""

    dimensions: tuple[str, ...]

    @property
    def name(self) -> str:
        return "_".join(DIMENSIONS[dimension][0] for dimension in self.dimensions) + "_interval_metrics"

    @property
    def grouping(self) -> str:
        return ",".join(self.dimensions)

    @property
    def primary_key(self) -> list[str]:
        return [*SERIES_KEY, *(DIMENSIONS[dimension][1][0] for dimension in self.dimensions)]

    @property
    def metrics(self) -> tuple[str, ...]:
        dropped = NOT_BY_CONVERSATION if "conversation" in self.dimensions else ()
        return tuple(metric for metric in METRICS if metric not in dropped)


def parse(entry: Any) -> Combination:
    """One entry of `extra_groupings` ("agent, skill"), or ValueError saying what is wrong with it."""
    if not isinstance(entry, str):
        raise ValueError(f"extra_groupings entry {entry!r} must be a string such as 'skill,agent'")
    named = [part.strip() for part in entry.split(",")]
    unknown = [part for part in named if part not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"extra_groupings entry {entry!r} names {', '.join(map(repr, unknown))}; the dimensions are "
            f"{', '.join(DIMENSIONS)}"
        )
    if len(set(named)) != len(named):
        raise ValueError(f"extra_groupings entry {entry!r} repeats a dimension")
    if len(named) < 2:
        raise ValueError(
            f"extra_groupings entry {entry!r} has one dimension; its stream {_single_grouping_stream(named[0])} "
            "exists already. Combine two or more, such as 'skill,agent'"
        )
    return Combination(tuple(dimension for dimension in DIMENSIONS if dimension in named))


def combinations(config: Mapping[str, Any]) -> list[Combination]:
    """The combinations `config` asks for, or ValueError naming the first bad or repeated entry."""
    found: dict[Combination, str] = {}
    for entry in config.get("extra_groupings") or ():
        combination = parse(entry)
        if combination in found:
            raise ValueError(
                f"extra_groupings entries {found[combination]!r} and {entry!r} are the same combination "
                f"({combination.grouping})"
            )
        found[combination] = entry
    return list(found)


def stream_definition(combination: Combination) -> dict[str, Any]:
    """The manifest's stream definition for `combination`, with the schema its dimensions give."""
    return {
        "$ref": "#/definitions/stream",
        "primary_key": combination.primary_key,
        "schema_loader": {"type": "InlineSchemaLoader", "schema": schema(combination)},
        "$parameters": {
            "name": combination.name,
            "grouping": combination.grouping,
            "metrics": ",".join(combination.metrics),
        },
    }


def schema(combination: Combination) -> dict[str, Any]:
    """The record schema: the common fields and metrics, and each dimension's fields, as the four streams type them."""
    properties: dict[str, Any] = {}
    for dimension in combination.dimensions:
        single = _single_grouping_schema(dimension)["properties"]
        properties.update({field: single[field] for field in DIMENSIONS[dimension][1]})
    skill = _single_grouping_schema("skill")["properties"]
    common = {field: skill[field] for field in COMMON_FIELDS}
    metrics = {metric: skill[metric] for metric in combination.metrics}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": True,
        "required": combination.primary_key,
        "properties": {**common, **properties, **metrics},
    }


def _single_grouping_stream(dimension: str) -> str:
    return f"{DIMENSIONS[dimension][0]}_interval_metrics"


@cache
def _single_grouping_schema(dimension: str) -> dict[str, Any]:
    stream = _single_grouping_stream(dimension)
    data = pkgutil.get_data("source_interval_metrics", f"schemas/{stream}.json")
    if data is None:
        raise FileNotFoundError(f"schemas/{stream}.json is missing from the source_interval_metrics package")
    loaded: dict[str, Any] = json.loads(data)
    return loaded

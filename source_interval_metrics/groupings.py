"""Combined groupings (`extra_groupings`): an entry names two or more dimensions, in any order; the manifest declares
a stream for each combination, named after its dimensions in the canonical order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Each dimension, in the canonical order, with its part of a stream name (`agentGroup` is `agent_group`).
DIMENSIONS = {"skill": "skill", "agentGroup": "agent_group", "agent": "agent", "conversation": "conversation"}


@dataclass(frozen=True)
class Combination:
    """Two or more dimensions, in the canonical order skill, agentGroup, agent, conversation."""

    dimensions: tuple[str, ...]

    @property
    def name(self) -> str:
        return "_".join(DIMENSIONS[dimension] for dimension in self.dimensions) + "_interval_metrics"

    @property
    def grouping(self) -> str:
        return ",".join(self.dimensions)


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
            f"extra_groupings entry {entry!r} has one dimension; its stream {DIMENSIONS[named[0]]}_interval_metrics "
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

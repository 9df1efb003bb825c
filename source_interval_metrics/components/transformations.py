"""The spec's config transformations: what the CDK applies to the config before it builds the streams."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import (
    ConfigTransformation,
)

from source_interval_metrics import groupings
from source_interval_metrics.config import with_defaults
from source_interval_metrics.manifest import connection_specification


@dataclass
class SpecDefaultsConfigTransformation(ConfigTransformation):
    """The spec's top-level defaults filled in where a key is absent or null, and whole floats (15.0) made integers."""

    def transform(self, config: MutableMapping[str, Any]) -> None:
        config.update(with_defaults(config, connection_specification()))


@dataclass
class CanonicalGroupingsConfigTransformation(ConfigTransformation):
    """Each `extra_groupings` entry written in the canonical order ("agent, skill" is "skill,agent"), which the
    manifest's combined-grouping streams are conditioned on; a list with a bad entry is left for the validation to
    refuse by name."""

    def transform(self, config: MutableMapping[str, Any]) -> None:
        if not isinstance(config.get("extra_groupings"), list):
            return
        try:
            found = groupings.combinations(config)
        except (TypeError, ValueError):
            return
        config["extra_groupings"] = [combination.grouping for combination in found]

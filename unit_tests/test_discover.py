"""The catalog the contract promises: five streams, their primary keys, cursor and sync modes; `num_workers`."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    ConcurrencyLevel as ConcurrencyLevelModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover

from source_interval_metrics import SourceIntervalMetrics, run
from source_interval_metrics import config as config_rules
from source_interval_metrics.manifest import connection_specification, manifest
from unit_tests.conftest import config

ROSTER = ["users", "skills", "agent_groups", "profiles", "agent_status_reasons"]
PRIMARY_KEYS = {
    "skill_interval_metrics": "skillId",
    "agent_group_interval_metrics": "agentGroupId",
    "agent_interval_metrics": "agentId",
    "conversation_interval_metrics": "conversationId",
}


def test_a_source_built_for_one_stream_s_read_still_discovers_every_stream() -> None:
    cfg = config()
    one_stream = CatalogBuilder().with_stream("skill_interval_metrics", SyncMode.full_refresh).build()
    streams = {
        s.name
        for s in discover(
            SourceIntervalMetrics(one_stream, cfg, None, source_config=manifest()), cfg
        ).catalog.catalog.streams
    }
    assert streams == {*PRIMARY_KEYS, "agent_status_changes", *ROSTER}


def test_the_cdk_builds_the_source_once_for_a_verb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[Mapping[str, Any]] = []
    construct = ConcurrentDeclarativeSource.__init__

    def counted(self: ConcurrentDeclarativeSource, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("config") or {})
        construct(self, *args, **kwargs)

    monkeypatch.setattr(ConcurrentDeclarativeSource, "__init__", counted)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config(extra_groupings=["agent,skill"])))
    monkeypatch.setattr(sys, "argv", ["source-interval-metrics", "discover", "--config", str(path)])
    run.run()
    catalog = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["catalog"]
    assert "skill_agent_interval_metrics" in {stream["name"] for stream in catalog["streams"]}
    assert len(built) == 1


def test_discover_needs_no_network_and_gives_the_contract_s_catalog() -> None:
    cfg = config()
    streams = {
        s.name: s
        for s in discover(SourceIntervalMetrics(None, cfg, None, source_config=manifest()), cfg).catalog.catalog.streams
    }
    assert set(streams) == {*PRIMARY_KEYS, "agent_status_changes", *ROSTER}
    changes = streams["agent_status_changes"]
    assert changes.source_defined_primary_key == [
        ["accountId"],
        ["agentId"],
        ["time"],
        ["statusType"],
        ["statusSubType"],
        ["sequenceNumber"],
    ]
    assert (changes.source_defined_cursor, changes.default_cursor_field) == (True, ["time"])
    assert set(changes.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}
    for name in ROSTER:  # a snapshot: full refresh only
        roster = streams[name]
        assert roster.source_defined_primary_key == [["accountId"], ["id"]]
        assert roster.supported_sync_modes == [SyncMode.full_refresh] and not roster.source_defined_cursor
    for name, dimension in PRIMARY_KEYS.items():
        stream = streams[name]
        assert stream.source_defined_primary_key == [
            ["accountId"],
            ["intervalStart"],
            ["intervalDuration"],
            ["handleTimeModel"],
            [dimension],
        ]
        assert (stream.source_defined_cursor, stream.default_cursor_field) == (True, ["intervalStart"])
        assert set(stream.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}
        assert dimension in stream.json_schema["properties"]


@pytest.mark.parametrize(("num_workers", "threads"), [(None, 4), (1, 1), (7, 7), (7.0, 7), (10, 10)])
def test_num_workers_sets_how_many_windows_are_fetched_at_once(num_workers: float | None, threads: int) -> None:
    """The manifest's concurrency level, as the CDK builds it from the config the source prepares."""
    cfg = config_rules.with_defaults(config(num_workers=num_workers), connection_specification())
    level = ModelToComponentFactory().create_component(ConcurrencyLevelModel, manifest()["concurrency_level"], cfg)
    assert level.get_concurrency_level() == threads

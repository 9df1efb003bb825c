"""`manifest.yaml` run by the CDK's own ConcurrentDeclarativeSource with the package's components and nothing else:
no source subclass, no config the spec does not declare, hosts found by the components themselves."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.conftest import (
    CLEAN,
    compare,
    connector_config,
    expected_records,
    records,
    requested_end,
)
from integration_tests.conftest import catalog as configured_catalog
from source_interval_metrics import run
from testkit.simulator import Simulator
from testkit.simulator.data import rfc3339

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yaml"
SKILL = "skill_interval_metrics"


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the spec's defaults, which the CDK alone does not fill in."""
    spec = yaml.safe_load(MANIFEST.read_text())["spec"]["connection_specification"]["properties"]
    return {**{key: schema["default"] for key, schema in spec.items() if "default" in schema}, **config}


def test_the_manifest_checks_and_reads_through_the_cdk_with_the_components_alone(simulator: Simulator) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    spec = manifest["spec"]["connection_specification"]["properties"]
    start = int(time.time()) // 900 * 900 - 6 * 3600
    config = with_defaults(connector_config(simulator, start_date=rfc3339(start)))
    catalog = CatalogBuilder().with_stream(SKILL, SyncMode.incremental).build()
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=catalog, state=None)
    assert source.check(logging.getLogger("airbyte"), config).status == Status.SUCCEEDED
    output = read(source, config, catalog)
    assert not output.errors
    emitted = [message.record.data for message in output.records]
    assert emitted and set(config) <= set(spec)
    truth = expected_records(simulator, SKILL, start, requested_end(simulator))
    assert compare(SKILL, emitted, truth) == CLEAN


@pytest.mark.parametrize("verb", ["spec", "check", "discover", "read"])
def test_each_verb_builds_the_source_once(
    verb: str, simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each construction loads the CDK's component schema and validates the whole manifest again (about 0.1 s): the
    console script builds the source once, through the CDK's own constructor, and `spec` not at all."""
    built: list[ConcurrentDeclarativeSource] = []
    construct = ConcurrentDeclarativeSource.__init__

    def counted(self: ConcurrentDeclarativeSource, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        construct(self, *args, **kwargs)

    monkeypatch.setattr(ConcurrentDeclarativeSource, "__init__", counted)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(connector_config(simulator, start_date=rfc3339(int(time.time()) // 900 * 900 - 3600))))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "streams": [
                    {
                        "stream": {"name": SKILL, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh",
                        "destination_sync_mode": "append",
                    }
                ]
            }
        )
    )
    extra = ["--config", str(config)] if verb != "spec" else []
    extra += ["--catalog", str(catalog)] if verb == "read" else []
    monkeypatch.setattr(sys, "argv", ["source-interval-metrics", verb, *extra])
    run.run()
    out = capsys.readouterr().out
    assert (
        '"ERROR"' not in out
        and out.count('"type":"' + {"spec": "SPEC", "check": "CONNECTION_STATUS"}.get(verb, "")) > 0
    )
    assert len(built) == (0 if verb == "spec" else 1)


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"start_date": "2999-01-01T00:00:00Z"}, "start_date 2999-01-01T00:00:00Z is in the future"),
        ({"lookback_window": "an hour"}, "lookback_window must be an ISO 8601 duration"),
        ({"extra_groupings": ["skill"]}, "extra_groupings"),
    ],
)
def test_the_manifest_s_own_spec_validations_refuse_what_json_schema_cannot_say(
    simulator: Simulator, setting: dict[str, Any], said: str
) -> None:
    """The rules the connector checks first (with `Config validation error: ` before them) are the manifest's."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    config = {"lookback_window": "PT1H", "extra_groupings": [], **connector_config(simulator), **setting}
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=None, state=None)
    with pytest.raises(ValueError, match=said):
        source.discover(logging.getLogger("airbyte"), config)


def test_the_bench_s_cdk_alone_checks_and_reads_every_entry(simulator: Simulator, tmp_path: Path) -> None:
    """`bench/cdk_alone.py`, the start-up floor of `make bench`: the verbs through the CDK's own entrypoint."""
    start = int(time.time()) // 900 * 900 - 3 * 3600
    config = with_defaults(connector_config(simulator, start_date=rfc3339(start)))
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(configured_catalog([SKILL], sync_mode="full_refresh")))
    said = {}
    for verb, extra in (("check", []), ("read", ["--catalog", str(tmp_path / "catalog.json")])):
        done = subprocess.run(
            [sys.executable, "-m", "bench.cdk_alone", verb, "--config", str(tmp_path / "config.json"), *extra],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=MANIFEST.parent,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        said[verb] = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [m["connectionStatus"]["status"] for m in said["check"] if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]
    truth = expected_records(simulator, SKILL, start, requested_end(simulator))
    assert truth and compare(SKILL, records(said["read"], SKILL), truth) == CLEAN

"""The Docker image itself: built with the docker SDK, run with spec, check and read against the simulator.

These need a Docker engine; where none answers they skip and say so (see conftest.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import CLEAN, catalog, compare, connector_config, expected_records, requested_end
from integration_tests.simulator import Simulator
from integration_tests.simulator.data import rfc3339

pytestmark = pytest.mark.image_tests
ROOT = Path(__file__).resolve().parent.parent
IMAGE = "airbyte/source-interval-metrics:dev"
SKILL = "skill_interval_metrics"


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    import docker

    client = docker.from_env()
    client.images.build(path=str(ROOT), tag=IMAGE, rm=True)
    yield client
    client.close()


def run_image(client: Any, secrets: Path, *args: str) -> list[dict[str, Any]]:
    output = client.containers.run(
        IMAGE, list(args), volumes={str(secrets): {"bind": "/secrets", "mode": "ro"}}, network_mode="host", remove=True
    )
    return [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]


def test_the_image_answers_spec(docker_client: Any, tmp_path: Path) -> None:
    assert any(m["type"] == "SPEC" for m in run_image(docker_client, tmp_path, "spec"))


def test_the_image_checks_and_reads_the_simulator(docker_client: Any, simulator: Simulator, tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    start = int(time.time()) // 900 * 900 - 6 * 3600
    (tmp_path / "config.json").write_text(json.dumps(connector_config(simulator, start_date=rfc3339(start))))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog([SKILL])))
    for name in ("config.json", "catalog.json"):
        (tmp_path / name).chmod(0o644)
    checked = run_image(docker_client, tmp_path, "check", "--config", "/secrets/config.json")
    assert [m["connectionStatus"]["status"] for m in checked if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]
    read = run_image(
        docker_client, tmp_path, "read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"
    )
    emitted = [m["record"]["data"] for m in read if m["type"] == "RECORD"]
    end = requested_end(simulator)
    assert compare(SKILL, emitted, expected_records(simulator, SKILL, start, end)) == CLEAN

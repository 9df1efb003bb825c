"""The Docker image itself, run as Airbyte runs it (secrets mounted read-only, the non-root `airbyte` user), against
the simulator: spec, check, discover, full and incremental reads compared with the ground truth, a bad config.

They need a Docker engine; where none answers they skip and say so, except in CI (see conftest.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from integration_tests import image
from integration_tests.conftest import (
    CLEAN,
    ROSTER,
    STATUS,
    STREAMS,
    catalog,
    compare,
    connector_config,
    expected_records,
    final_states,
    key,
    requested_end,
)
from testkit.simulator import Simulator
from testkit.simulator.data import rfc3339

pytestmark = pytest.mark.image_tests


def run_image(tag: str, secrets: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """Runs the image with `secrets` mounted read-only at /secrets; its exit code and its messages."""
    secrets.chmod(0o755)
    for path in secrets.iterdir():
        path.chmod(0o644)
    docker_client = image.client()
    assert docker_client
    container = docker_client.containers.run(
        tag,
        list(args),
        volumes={str(secrets): {"bind": "/secrets", "mode": "ro"}},
        network_mode="host",
        detach=True,
    )
    try:
        code = container.wait(timeout=600)["StatusCode"]
        output = container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)
    return code, [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def write(folder: Path, name: str, content: Any) -> str:
    (folder / name).write_text(json.dumps(content))
    return f"/secrets/{name}"


def test_the_image_runs_as_airbyte_runs_it(connector_image: str) -> None:
    """AIRBYTE_ENTRYPOINT must equal the entrypoint (Airbyte refuses an image without it); the user is not root."""
    docker_client = image.client()
    assert docker_client
    attrs = docker_client.images.get(connector_image).attrs["Config"]
    environment = dict(entry.split("=", 1) for entry in attrs["Env"])
    assert environment["AIRBYTE_ENTRYPOINT"] == " ".join(attrs["Entrypoint"]) == "source-interval-metrics"
    assert attrs["User"] == "airbyte"


def test_the_image_answers_spec_check_and_discover(connector_image: str, simulator: Simulator, tmp_path: Path) -> None:
    code, spec = run_image(connector_image, tmp_path, "spec")
    assert code == 0 and [m["spec"]["connectionSpecification"]["required"] for m in spec if m["type"] == "SPEC"]
    config = write(tmp_path, "config.json", connector_config(simulator))
    code, checked = run_image(connector_image, tmp_path, "check", "--config", config)
    assert [m["connectionStatus"]["status"] for m in checked if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]
    code, discovered = run_image(connector_image, tmp_path, "discover", "--config", config)
    (found,) = [m["catalog"] for m in discovered if m["type"] == "CATALOG"]
    assert code == 0 and {stream["name"] for stream in found["streams"]} == {*STREAMS, STATUS, *ROSTER}


def test_the_image_reads_every_stream_then_incrementally_exactly(
    connector_image: str, simulator: Simulator, tmp_path: Path
) -> None:
    start = int(time.time()) // 900 * 900 - 26 * 3600
    config = write(tmp_path, "config.json", connector_config(simulator, start_date=rfc3339(start)))
    configured = write(tmp_path, "catalog.json", catalog())
    code, full = run_image(connector_image, tmp_path, "read", "--config", config, "--catalog", configured)
    assert code == 0
    state = write(tmp_path, "state.json", final_states(full))
    simulator.requests.clear()
    code, incremental = run_image(
        connector_image, tmp_path, "read", "--config", config, "--catalog", configured, "--state", state
    )
    assert code == 0
    end = requested_end(simulator)
    for stream in STREAMS:
        first = [m["record"]["data"] for m in full if m["type"] == "RECORD" and m["record"]["stream"] == stream]
        assert compare(stream, first, expected_records(simulator, stream, start, end)) == CLEAN, stream
        again = [m["record"]["data"] for m in incremental if m["type"] == "RECORD" and m["record"]["stream"] == stream]
        assert again and len(again) < len(first), stream  # from the saved state less the lookback, not from scratch
        union = list({key(stream, r): r for r in first + again}.values())
        assert compare(stream, union, expected_records(simulator, stream, start, end)) == CLEAN, stream


def test_the_image_answers_a_bad_config_with_a_config_error(connector_image: str, tmp_path: Path) -> None:
    config = write(tmp_path, "config.json", {"account_id": "123456", "interval_duration": 20})
    code, messages = run_image(connector_image, tmp_path, "discover", "--config", config)
    (error,) = [m["trace"]["error"] for m in messages if m["type"] == "TRACE"]
    assert code == 1 and error["failure_type"] == "config_error"
    assert error["message"].startswith("Config validation error: credentials is required")

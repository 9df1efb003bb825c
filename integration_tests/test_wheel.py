"""The wheel alone is the connector: built, installed in a fresh venv outside the checkout, run from elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STREAMS = {
    "skill_interval_metrics",
    "agent_group_interval_metrics",
    "agent_interval_metrics",
    "conversation_interval_metrics",
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console script of the wheel, installed with the locked runtime dependencies into a new venv."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), str(ROOT)],
        check=True,
    )
    (wheel,) = work.glob("source_interval_metrics-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "source_interval_metrics/manifest.yaml" in names
    assert {f"source_interval_metrics/schemas/{name}.json" for name in STREAMS} <= set(names)
    uv = Path(sys.executable).parent / "uv"
    venv = work / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            str(wheel),
            "-c",
            str(ROOT / "requirements.lock"),
        ],
        check=True,
    )
    return venv / "bin" / "source-interval-metrics"


def messages(script: Path, *args: str, cwd: Path) -> list[dict]:
    done = subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_installed_wheel_answers_spec_and_discover_from_another_directory(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "manifest.yaml").write_text("not: the connector's manifest\n")  # must not be picked up
    spec = [m["spec"] for m in messages(installed, "spec", cwd=elsewhere) if m["type"] == "SPEC"]
    assert spec and set(spec[0]["connectionSpecification"]["required"]) == {"account_id", "credentials"}
    config = elsewhere / "config.json"
    config.write_text(
        json.dumps(
            {
                "account_id": "123456",
                "credentials": {
                    "auth_type": "oauth2",
                    "client_id": "client-id-0001",
                    "client_secret": "client-secret-0001",
                },
            }
        )
    )
    (catalog,) = [
        m["catalog"]
        for m in messages(installed, "discover", "--config", str(config), cwd=elsewhere)
        if m["type"] == "CATALOG"
    ]
    assert {stream["name"] for stream in catalog["streams"]} == STREAMS
    assert all(stream["json_schema"]["properties"]["intervalStart"] for stream in catalog["streams"])

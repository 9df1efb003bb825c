"""The wheel alone is the connector: built, installed in a fresh venv outside the checkout, run from elsewhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from integration_tests.conftest import assert_answers_spec_and_discover

ROOT = Path(__file__).resolve().parent.parent
STREAMS = {
    "skill_interval_metrics",
    "agent_group_interval_metrics",
    "agent_interval_metrics",
    "conversation_interval_metrics",
    "agent_status_changes",
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console script of the wheel, installed with the locked runtime dependencies into a new venv."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), str(ROOT)],
        check=True,
    )
    (wheel,) = work.glob("airbyte_source_interval_metrics-*.whl")
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


def test_the_installed_wheel_answers_spec_and_discover_from_another_directory(installed: Path, tmp_path: Path) -> None:
    assert_answers_spec_and_discover([str(installed)], tmp_path)

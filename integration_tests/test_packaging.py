"""The Airbyte packaging: metadata.yaml valid for Airbyte, versions in step, and a Dockerfile that really works."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import airbyte_connector_models
import yaml
from dockerfile_parse import DockerfileParser
from jsonschema import Draft7Validator

from integration_tests.conftest import assert_answers_spec_and_discover
from source_interval_metrics.components.error_handler import RATE_LIMIT_CAP, RATE_LIMIT_RETRIES, SERVER_PAUSES

ROOT = Path(__file__).resolve().parent.parent
BENCH_PEAK_RSS_MB = 95  # bench/: a 14-day backfill of the four streams (README, Performance)
METADATA_SCHEMA = (
    Path(airbyte_connector_models.__file__).parent / "metadata" / "v0" / "ConnectorMetadataDefinitionV0.json"
)


def without_nested_ids(schema: object, top: bool = True) -> object:
    """The bundled schema nests `$id`s that would send jsonschema looking for remote files."""
    if isinstance(schema, dict):
        return {k: without_nested_ids(v, False) for k, v in schema.items() if top or k not in ("$id", "$schema")}
    if isinstance(schema, list):
        return [without_nested_ids(v, False) for v in schema]
    return schema


def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    return parser


def test_metadata_is_valid_for_airbyte() -> None:
    schema = without_nested_ids(json.loads(METADATA_SCHEMA.read_text()))
    metadata = yaml.safe_load((ROOT / "metadata.yaml").read_text())
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in Draft7Validator(schema).iter_errors(metadata)]
    assert problems == []
    data = metadata["data"]
    assert (data["connectorType"], data["connectorSubtype"], data["releaseStage"], data["supportLevel"]) == (
        "source",
        "api",
        "alpha",
        "community",
    )
    assert {"language:python", "cdk:low-code"} <= set(data["tags"])
    assert {link["type"] for link in data["externalDocumentationUrls"]} >= {"api_reference", "rate_limits"}
    assert data["suggestedStreams"]["streams"] and data["registryOverrides"]["oss"]["enabled"]
    assert (ROOT / "icon.svg").read_text().lstrip().startswith("<svg")


def test_metadata_leaves_room_for_the_longest_silence_and_the_measured_memory() -> None:
    """A window that waits out every rate-limit retry must not look hung to Airbyte; memory well above the bench's."""
    data = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
    longest_wait = RATE_LIMIT_RETRIES * RATE_LIMIT_CAP + 4 * 120 + sum(SERVER_PAUSES)
    assert data["maxSecondsBetweenMessages"] >= longest_wait
    (sync,) = [job for job in data["resourceRequirements"]["jobSpecific"] if job["jobType"] == "sync"]
    assert int(sync["resourceRequirements"]["memory_limit"].removesuffix("Mi")) >= 2 * BENCH_PEAK_RSS_MB


def test_version_name_and_base_image_agree_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["version"]
    data = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
    # Airbyte's naming: PyPI package airbyte-source-<name>, console script source-<name>, as PyAirbyte expects.
    assert project["name"] == data["remoteRegistries"]["pypi"]["packageName"] == "airbyte-source-interval-metrics"
    assert list(project["scripts"]) == ["source-interval-metrics"]
    parsed = dockerfile()
    assert data["dockerImageTag"] == parsed.labels["io.airbyte.version"] == version
    assert data["dockerRepository"] == parsed.labels["io.airbyte.name"] == "airbyte/source-interval-metrics"
    assert parsed.baseimage == data["connectorBuildOptions"]["baseImage"]
    assert "@sha256:" in parsed.baseimage and ":4.0.2@" in parsed.baseimage


def test_the_image_runs_as_a_non_root_user_with_airbyte_s_entrypoint() -> None:
    parsed = dockerfile()
    instructions = [(i["instruction"], i["value"]) for i in parsed.structure]
    assert ("WORKDIR", "/airbyte/integration_code") in instructions
    assert instructions[-1] == ("USER", "airbyte")
    assert parsed.envs["AIRBYTE_ENTRYPOINT"] == "source-interval-metrics"
    assert ("ENTRYPOINT", '["source-interval-metrics"]') in instructions


def ignored(relative: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative, p.removeprefix("**/")) or relative.split("/")[0] == p
        for p in patterns
    )


def copy_into(sources: list[str], target: Path, patterns: list[str]) -> None:
    """COPY as Docker does it: from the build context less .dockerignore, links kept as links."""
    for source in sources:
        path = ROOT / source
        assert path.exists() and not ignored(source, patterns), f"the Dockerfile copies {source}, not in the context"
        destination = target / path.name if target.is_dir() and len(sources) > 1 else target
        if path.is_dir():
            shutil.copytree(
                path, destination, symlinks=True, ignore=lambda d, names: [n for n in names if ignored(n, patterns)]
            )
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination if not destination.is_dir() else destination / path.name)


def test_replaying_the_dockerfile_gives_a_working_connector(tmp_path: Path) -> None:
    """Its COPY and RUN steps, replayed into a directory and a fresh venv: a forgotten file or dependency fails."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    uv = Path(sys.executable).parent / "uv"
    venv = tmp_path / "image-python"
    subprocess.run([str(uv), "venv", "-q", "--seed", "--python", sys.executable, str(venv)], check=True)
    shims = tmp_path / "shims"
    shims.mkdir()
    # `pip install` through uv (same packages, from its cache); other pip commands as they are.
    (shims / "pip").write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = install ]; then shift; exec "{uv}" pip install -q --python "{venv}/bin/python" '
        '$(printf "%s\\n" "$@" | grep -v -- --no-cache-dir); fi\n'
        f'exec "{venv}/bin/python" -m pip "$@"\n'
    )
    (shims / "pip").chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}:{venv}/bin:{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    workdir = tmp_path
    entrypoint: list[str] = []
    for instruction in dockerfile().structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "WORKDIR":
            workdir = tmp_path / "image" / value.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif kind == "COPY":
            *sources, target = value.split()
            copy_into(sources, (workdir / target).resolve(), patterns)
        elif kind == "RUN":
            subprocess.run(["bash", "-ec", value], cwd=workdir, env=env, check=True, timeout=600)
        elif kind == "ENV":
            key, _, val = value.partition("=")
            env[key] = val.strip('"')
        elif kind == "ENTRYPOINT":
            entrypoint = json.loads(value)
    assert entrypoint == [env["AIRBYTE_ENTRYPOINT"]]
    assert_answers_spec_and_discover(entrypoint, tmp_path, env)
    assert not (workdir / "dist").exists(), "the Dockerfile should not leave its wheel behind"


def test_the_dockerignore_keeps_tests_venvs_and_caches_out() -> None:
    patterns = (ROOT / ".dockerignore").read_text().split()
    for excluded in (".venv", "unit_tests", "integration_tests", ".git", "**/__pycache__", ".pytest_cache"):
        assert excluded in patterns


def test_the_docs_page_follows_airbyte_s_template() -> None:
    page = (ROOT / "docs" / "integrations" / "sources" / "interval-metrics.md").read_text()
    assert [line[3:] for line in page.splitlines() if line.startswith("## ")] == [
        "Prerequisites",
        "Setup guide",
        "Supported sync modes",
        "Supported streams",
        "Performance considerations",
        "Data type map and units",
        "Limitations and troubleshooting",
        "Changelog",
    ]
    assert "<summary>Expand to review</summary>" in page and "| Version | Date | Pull Request | Subject |" in page
    assert "Incremental - Append + Deduped | Yes, **recommended**" in page


def pins(lock: str) -> dict[str, str]:
    """The `name==version` lines of a lock file, by name."""
    lines = (line.split("==") for line in (ROOT / lock).read_text().splitlines() if "==" in line and line[0].isalnum())
    return {name.lower(): version.split()[0] for name, version in lines}


def test_the_tests_run_the_runtime_packages_the_image_ships() -> None:
    """One resolution: every package of requirements.lock (what the image installs) at the same version in
    requirements-dev.lock (what the tests run on); the development lock only adds packages."""
    runtime, development = pins("requirements.lock"), pins("requirements-dev.lock")
    assert runtime and {name: (version, development.get(name)) for name, version in runtime.items()} == {
        name: (version, version) for name, version in runtime.items()
    }

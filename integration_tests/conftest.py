"""The simulator on a free port, the installed console script as a subprocess, and the expected records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration_tests import image
from source_interval_metrics.manifest import manifest
from testkit.schemas import assert_valid_records
from testkit.simulator import Settings, Simulator
from testkit.simulator.data import rfc3339
from testkit.simulator.routes import epoch

SCRIPT = Path(sys.executable).parent / "source-interval-metrics"
# The manifest's streams: name -> (grouping, the dimension's id field).
STREAMS = {
    stream["$parameters"]["name"]: (stream["$parameters"]["grouping"], stream["primary_key"][4])
    for stream in manifest()["streams"]
    if "grouping" in stream.get("$parameters", {})
}
STATUS = "agent_status_changes"
ROSTER = ["users", "skills", "agent_groups", "profiles", "agent_status_reasons"]
# Combined groupings, as a user may write them, and the streams they give (the simulator groups by any combination).
EXTRA_GROUPINGS = ["agent, skill", "agent,agentGroup", "conversation,skill"]
COMBINED = {
    "skill_agent_interval_metrics": ("skill,agent", "skillId", "agentId"),
    "agent_group_agent_interval_metrics": ("agentGroup,agent", "agentGroupId", "agentId"),
    "skill_conversation_interval_metrics": ("skill,conversation", "skillId", "conversationId"),
}
EVERY_STREAM = {**STREAMS, **COMBINED}
NOT_FOR_CONVERSATIONS = {"consumerMessages", "agentMessages"}
CLEAN = {"missing": 0, "extra": 0, "duplicates": 0, "different": 0}
# Where the method page can be read two ways, the simulator has a setting per reading (see its Settings). The suite
# runs under each, one deviation from the connector's own reading at a time: the records must be the same.
READINGS: dict[str, dict[str, Any]] = {
    "as-the-connector-reads-it": {},
    "interval-at-to-included": {"timeframe_reading": "overlap_with_to"},
    "touching-intervals-included": {"timeframe_reading": "touching"},
    "202-milliseconds-only": {"accepted_body": "millis_only"},
    "202-other-status-words": {"accepted_body": "other_words"},
    "202-naming-no-interval": {"accepted_body": "unusable"},
    "closedConversations-refused-for-skill": {"skill_metrics_refused": ("closedConversations",)},
    "skill-only-metrics-refused-one-per-answer": {"skill_metrics_refused": ("arrivals", "closedConversations")},
    "some-200s-without-intervals": {"pages_without_intervals": 0.1},
    "ids-as-numbers-paging-by-refs": {"string_ids": False, "paging": "refs"},
    "empty-pages-name-themselves-by-offset": {"paging": "refs", "self_linked_empty_pages": 1},
    "empty-first-pages-name-themselves-twice": {
        "paging": "refs",
        "empty_first_page": True,
        "empty_page_every": 0,
        "self_linked_empty_pages": 2,
    },
    "history-of-20-hours-said-as-an-age": {"history_hours": 20},
    "history-of-20-hours-said-as-a-time": {"history_hours": 20, "history_refusal": "time"},
    "history-of-20-hours-unsaid": {"history_hours": 20, "history_refusal": "unsaid"},
    "history-of-20-hours-refused-as-bad-request": {"history_hours": 20, "bare_refusals": True},
}


GENERATED = Path(__file__).resolve().parent / "generated"
IMAGE_BUILT = pytest.StashKey[str]()


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with Simulator(Settings()) as running:
        yield running


SHORT_PAUSES = Path(__file__).resolve().parent / "short_pauses"


@pytest.fixture
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connector's pauses of a second or more a hundredth as long: in the connector processes the tests start
    (through `short_pauses/sitecustomize.py`), and in this one."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SHORT_PAUSES), os.environ.get("PYTHONPATH")])))
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(seconds / 100 if seconds >= 1 else seconds))


@pytest.fixture(params=list(READINGS))
def any_reading(request: pytest.FixtureRequest, short_pauses: None) -> Iterator[Simulator]:
    """The simulator under each reading of the method page in turn (pauses shortened: some readings retry)."""
    with Simulator(Settings(**READINGS[request.param])) as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    """Start the simulator for the standard tests and write the configs acceptance-test-config.yml names.

    Where a Docker engine answers, the simulator listens on the host's bridge address, so that the standard tests'
    containers reach it as well as the tests on the host. Under pytest-xdist the controller alone does this: its
    simulator serves every worker, and the files are written once.
    """
    if hasattr(config, "workerinput"):
        return
    docker_client = image.client()
    address = image.bridge_address(docker_client) if docker_client else "127.0.0.1"
    shared = Simulator(Settings(conversations_per_day=100), address=address).start()
    config.add_cleanup(shared.stop)
    GENERATED.mkdir(exist_ok=True)
    day = 86400
    start = rfc3339(int(time.time()) // day * day - day)
    good = connector_config(shared, start_date=start)
    bad = connector_config(
        shared, start_date=start, credentials={**good["credentials"], "client_secret": "wrong-secret"}
    )
    _write(GENERATED / "config.json", good)
    _write(GENERATED / "read_config.json", good)
    _write(GENERATED / "invalid_config.json", bad)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Image tests need a Docker engine: where none answers they skip and say so, except in CI, where they must run.
    They run on one pytest-xdist worker, which builds the image once."""
    image_tests = [item for item in items if "image_tests" in item.keywords]
    for item in image_tests:
        item.add_marker(pytest.mark.xdist_group("image"))
    if not image_tests or image.client():
        return
    if image.required():
        raise pytest.UsageError(
            f"{len(image_tests)} image tests must run here ({image.REQUIRED_VARIABLE}=1), but no Docker engine answers"
        )
    skip = pytest.mark.skip(reason="no Docker engine answers on this machine; the image tests run where one does")
    for item in image_tests:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def connector_image(request: pytest.FixtureRequest) -> str:
    """The image built from the real Dockerfile, once per run; Airbyte's standard image tests use it too."""
    docker_client = image.client()
    assert docker_client, "no Docker engine answers"
    request.config.stash[IMAGE_BUILT] = image.build(docker_client)
    request.config.option.connector_image = image.IMAGE
    return image.IMAGE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say which base the image tests built on (the pinned one, or the stand-in and why)."""
    if IMAGE_BUILT in config.stash:
        terminalreporter.write_line(config.stash[IMAGE_BUILT])


@pytest.fixture(autouse=True)
def image_for_image_tests(request: pytest.FixtureRequest) -> None:
    """Builds the image before any image test, Airbyte's standard ones included (they take it as --connector-image)."""
    if request.node.get_closest_marker("image_tests"):
        request.getfixturevalue("connector_image")


def connector_config(simulator: Simulator, **overrides: Any) -> dict[str, Any]:
    s = simulator.settings
    config: dict[str, Any] = {
        "account_id": s.account,
        "credentials": {"auth_type": "oauth2", "client_id": s.client_id, "client_secret": s.client_secret},
        "domain_api_url": simulator.url,
    }
    config.update(overrides)
    return config


def catalog(streams: list[str] | None = None, sync_mode: str = "incremental") -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": sync_mode,
                "cursor_field": [("time" if name == STATUS else "intervalStart")] if sync_mode == "incremental" else [],
                "destination_sync_mode": "append",
            }
            for name in streams or STREAMS
        ]
    }


def run_connector(
    tmp_path: Path,
    verb: str,
    config: dict[str, Any],
    catalog: dict[str, Any] | None = None,
    state: list[dict[str, Any]] | None = None,
    timeout: float = 300,
    output: list[str] | None = None,
    debug: bool = False,
) -> list[dict[str, Any]]:
    """Run the installed console script; its stdout parsed as Airbyte messages (stdout+stderr into `output`)."""
    args = [str(SCRIPT), verb, "--config", _write(tmp_path / "config.json", config)] + (["--debug"] if debug else [])
    if catalog is not None:
        args += ["--catalog", _write(tmp_path / "catalog.json", catalog)]
    if state is not None:
        args += ["--state", _write(tmp_path / "state.json", state)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    if output is not None:
        output.append(done.stdout + done.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def killed_after(process: subprocess.Popen[str], states: int) -> list[dict[str, Any]]:
    """The messages a read printed until its `states`-th STATE, when it is killed (SIGKILL to its process group)."""
    printed: list[dict[str, Any]] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("{"):
            printed.append(json.loads(line))
        if sum(m["type"] == "STATE" for m in printed) >= states:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.communicate(timeout=30)
    return printed


def _write(path: Path, content: Any) -> str:
    path.write_text(json.dumps(content))
    return str(path)


def records(messages: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    """The stream's records, each checked against the stream's JSON schema."""
    emitted = [m["record"]["data"] for m in messages if m["type"] == "RECORD" and m["record"]["stream"] == stream]
    assert_valid_records(stream, emitted)
    return emitted


def errors(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


def final_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m["type"] == "STATE":
            last[m["state"]["stream"]["stream_descriptor"]["name"]] = m["state"]
    return list(last.values())


def expected_records(
    simulator: Simulator, stream: str, start: int, end: int, interval: int = 15, model: str = "IFT", bots: bool = False
) -> list[dict[str, Any]]:
    """The contract's record for every interval starting in [start, end), from the simulator's ground truth."""
    grouping = EVERY_STREAM[stream][0]
    expected = []
    for entry in simulator.entries(grouping, start, end, interval, model, bots):
        record = {
            "accountId": simulator.settings.account,
            "intervalStart": entry["timeframe"]["from"],
            "intervalEnd": entry["timeframe"]["to"],
            "intervalDuration": interval,
            "handleTimeModel": model,
        }
        record.update({k: v for k, v in entry.items() if k not in ("timeframe", "metrics")})
        metrics = entry["metrics"]
        if "conversation" in grouping:
            metrics = {k: v for k, v in metrics.items() if k not in NOT_FOR_CONVERSATIONS}
        if grouping == "skill":
            metrics = {k: v for k, v in metrics.items() if k not in simulator.settings.skill_metrics_refused}
        record.update(metrics)
        expected.append(record)
    return expected


def readable_start(simulator: Simulator, start: int) -> int:
    """Where a sync asked to start at `start` can start: there, or, where the simulator keeps less history than the
    documented 14 days, at the first `from` it answered, which must be the oldest interval it keeps (with the
    connector's 15 minutes to spare, rounded up to an interval of at most 30 minutes)."""
    hours = simulator.settings.history_hours
    if not hours or start >= time.time() - hours * 3600:
        return start
    first = min(epoch(query["from"], "from") for query in simulator.answered)
    kept_since = time.time() - hours * 3600
    assert kept_since - 600 < first <= kept_since + 900 + 1800, (rfc3339(first), rfc3339(int(kept_since)))
    return first


def requested_end(simulator: Simulator) -> int:
    """The exclusive end of the last window the connector asked for, one second after its `to` (it depends on the
    clock at the time)."""
    return max(epoch(query["to"], "to") for query in simulator.requests) + 1


def key(stream: str, record: dict[str, Any]) -> tuple[Any, ...]:
    series = (record["accountId"], record["intervalStart"], record["intervalDuration"], record["handleTimeModel"])
    return *series, *(record[field] for field in EVERY_STREAM[stream][1:])


def compare(stream: str, emitted: list[dict[str, Any]], expected: list[dict[str, Any]]) -> dict[str, int]:
    """Missing, extra and duplicate records, by primary key, plus records whose values differ."""
    emitted_keys = [key(stream, r) for r in emitted]
    by_key = {key(stream, r): r for r in emitted}
    wanted = {key(stream, r): r for r in expected}
    return {
        "missing": len(wanted.keys() - by_key.keys()),
        "extra": len(by_key.keys() - wanted.keys()),
        "duplicates": len(emitted_keys) - len(set(emitted_keys)),
        "different": sum(1 for k, r in wanted.items() if k in by_key and by_key[k] != r),
    }


def assert_answers_spec_and_discover(command: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> None:
    """The connector started by `command`, run from an unrelated directory, answers spec and discover."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "manifest.yaml").write_text("not: the connector's manifest\n")  # must not be picked up

    def messages(*args: str) -> list[dict[str, Any]]:
        done = subprocess.run([*command, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    (spec,) = [m["spec"] for m in messages("spec") if m["type"] == "SPEC"]
    assert set(spec["connectionSpecification"]["required"]) == {"account_id", "credentials"}
    config = _write(
        elsewhere / "config.json",
        {
            "account_id": "123456",
            "credentials": {
                "auth_type": "oauth2",
                "client_id": "client-id-0001",
                "client_secret": "client-secret-0001",
            },
        },
    )
    (catalog,) = [m["catalog"] for m in messages("discover", "--config", config) if m["type"] == "CATALOG"]
    assert {stream["name"] for stream in catalog["streams"]} == {*STREAMS, STATUS, *ROSTER}
    assert all(stream["json_schema"]["properties"]["accountId"] for stream in catalog["streams"])

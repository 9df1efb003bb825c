"""Builders for configs, catalogs and mocked LivePerson answers, in the style of Airbyte's certified connectors."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse
from airbyte_cdk.test.mock_http.request import ANY_QUERY_PARAMS
from airbyte_cdk.test.state_builder import StateBuilder

from source_interval_metrics import SourceIntervalMetrics
from source_interval_metrics.interval_grid import one_second_before
from source_interval_metrics.manifest import manifest

ACCOUNT = "123456"
DOMAIN_API = "https://api.liveperson.net"
AGENT_ACTIVITY_HOST = "va.agentactivity.liveperson.net"
SENTINEL_HOST = "va.sentinel.liveperson.net"
METRICS_URL = f"https://{AGENT_ACTIVITY_HOST}/api/account/{ACCOUNT}/interval-metrics"
STATUS_URL = f"https://{AGENT_ACTIVITY_HOST}/api/v2/account/{ACCOUNT}/status-changes"
STATUS = "agent_status_changes"
TOKEN = "token-for-tests-0001"
STREAMS = {
    "skill_interval_metrics": (
        "skill",
        "handleTime,handledConversations,repliedConversations,consumerMessages,"
        "agentMessages,workTime,arrivals,closedConversations",
    ),
    "agent_group_interval_metrics": (
        "agentGroup",
        "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
    ),
    "agent_interval_metrics": (
        "agent",
        "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
    ),
    "conversation_interval_metrics": (
        "conversation",
        "handleTime,handledConversations,repliedConversations,workTime",
    ),
}


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "account_id": ACCOUNT,
        "credentials": {
            "auth_type": "oauth2",
            "client_id": "client-id-0001",
            "client_secret": "client-secret-0001",
        },
        "start_date": "2026-11-24T00:00:00Z",
    }
    base.update(overrides)
    return base


def catalog(*names: str, sync_mode: SyncMode = SyncMode.full_refresh) -> ConfiguredAirbyteCatalog:
    builder = CatalogBuilder()
    for name in names or tuple(STREAMS):
        builder.with_stream(name, sync_mode)
    return builder.build()


def read_streams(
    cfg: dict[str, Any],
    *streams: str,
    sync_mode: SyncMode = SyncMode.incremental,
    state: dict[str, Any] | None = None,
) -> EntrypointOutput:
    """The streams (all four when none is named) read through the CDK's entrypoint, as the platform runs the
    connector; `state` is the saved state of the first stream named."""
    configured = catalog(*streams, sync_mode=sync_mode)
    states = StateBuilder().with_stream_state(streams[0], state).build() if state and streams else None
    return read(SourceIntervalMetrics(configured, cfg, states, source_config=manifest()), cfg, configured, states)


def metrics_request(stream: str, start: str, end: str, **extra: str) -> HttpRequest:
    """The request for the window from `start` to the boundary `end`: its `to` is one second before `end`."""
    grouping, metrics = STREAMS[stream]
    query = {
        "v": "1",
        "source": "airbyte",
        "handleTimeModel": "IFT",
        "metrics": metrics,
        "grouping": grouping,
        "intervalDuration": "15",
        "pageSize": "500",
        "includeBotSkills": "false",
        "from": start,
        "to": one_second_before(end),
    }
    query.update(extra)
    return HttpRequest(METRICS_URL, query_params=query)


def mock_daily_windows(http_mocker: HttpMocker, stream: str, start: dt.datetime, end: dt.datetime) -> None:
    """An empty page for every one-day window from `start` to `end`, as the connector cuts them."""
    while start < end:
        stop = min(start + dt.timedelta(days=1), end)
        http_mocker.get(metrics_request(stream, f"{start:%Y-%m-%dT%H:%M:%SZ}", f"{stop:%Y-%m-%dT%H:%M:%SZ}"), page([]))
        start = stop


def status_request(start: str, end: str, offset: str = "0", limit: str = "20000") -> HttpRequest:
    """The request for the status-changes window from `start` to `end`: a second more before it."""
    before = dt.datetime.fromisoformat(start.replace("Z", "+00:00")) - dt.timedelta(seconds=1)
    query = {"v": "2", "source": "airbyte", "from": f"{before:%Y-%m-%dT%H:%M:%SZ}", "to": end}
    return HttpRequest(STATUS_URL, query_params={**query, "offset": offset, "limit": limit})


def change(
    time: str, agent_id: Any = 3252247132, sequence: Any = 2, kind: Any = 1, sub: Any = 2, **fields: Any
) -> dict[str, Any]:
    """A status change as LivePerson's v2 sends it (an online change without a reason, unless `fields` say else)."""
    return {
        "agentId": agent_id,
        "employeeId": "543acbc",
        "agentLoginName": "ana@example.com",
        "agentUserName": "ana",
        "agentGroupId": 12345,
        "time": time,
        "sessionId": 30376039,
        "sequenceNumber": sequence,
        "statusType": kind,
        "statusSubType": sub,
        "statusReasonId": 0,
        "statusReasonText": "",
        "prevStatusChangeTime": "2026-11-25T01:00:00.000Z",
        **fields,
    }


def status_page(changes: list[dict[str, Any]], next_href: str | None = None, status: int = 200) -> HttpResponse:
    references = [{"rel": "self", "href": "http://example/self"}]
    if next_href:
        references.append({"rel": "next", "href": next_href})
    return HttpResponse(json.dumps({"_metadata": {"references": references}, "stateChanges": changes}), status)


def entry(start: str, end: str, **fields: Any) -> dict[str, Any]:
    metrics = fields.pop(
        "metrics", {"handleTime": 240, "handledConversations": 2, "repliedConversations": 1, "workTime": 300}
    )
    return {"timeframe": {"from": start, "to": end}, **fields, "metrics": metrics}


def page(
    entries: list[dict[str, Any]],
    next_page_key: str | None = None,
    next_ref: str | None = None,
    status: int = 200,
) -> HttpResponse:
    paging: dict[str, Any] = {"pageSize": 500}
    if next_page_key:
        paging["nextPageKey"] = next_page_key
    if next_ref:
        paging["refs"] = {"next": next_ref}
    body = {"metadata": {"paging": paging, "count": len(entries)}, "intervals": entries}
    return HttpResponse(json.dumps(body), status)


def mock_sign_in(http_mocker: HttpMocker, tokens: list[HttpResponse] | None = None) -> list[HttpRequest]:
    """The Domain API answers for both services, and Sentinel issues a token (or the answers given, in turn).

    Returns the mocked requests (the two look-ups, then the token request), for counting calls.
    """
    mocked = []
    for service, host in (("agentActivityDomain", AGENT_ACTIVITY_HOST), ("sentinel", SENTINEL_HOST)):
        lookup = HttpRequest(
            f"{DOMAIN_API}/api/account/{ACCOUNT}/service/{service}/baseURI.json", query_params={"version": "1.0"}
        )
        http_mocker.get(lookup, HttpResponse(json.dumps({"service": service, "account": ACCOUNT, "baseURI": host})))
        mocked.append(lookup)
    token = HttpRequest(
        f"https://{SENTINEL_HOST}/sentinel/api/v2/account/{ACCOUNT}/app/token",
        body="grant_type=client_credentials&client_id=client-id-0001&client_secret=client-secret-0001",
    )
    http_mocker.post(
        token, tokens or HttpResponse(json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}))
    )
    return [*mocked, token]


ROSTER_METHODS = (
    "le-users/users",
    "le-users/skills",
    "le-users/agentGroups",
    "le-users/profiles",
    "le-agents/status-reasons",
)
ACCOUNT_CONFIG_HOST = "va.ac.liveperson.net"


def mock_roster(http_mocker: HttpMocker, answers: dict[str, HttpResponse] | None = None) -> None:
    """The accountConfigReadOnly host, and each get-all method's answer (an empty list, unless `answers` says else)."""
    lookup = HttpRequest(
        f"{DOMAIN_API}/api/account/{ACCOUNT}/service/accountConfigReadOnly/baseURI.json",
        query_params={"version": "1.0"},
    )
    http_mocker.get(lookup, HttpResponse(json.dumps({"baseURI": ACCOUNT_CONFIG_HOST})))
    for method in ROSTER_METHODS:
        request = HttpRequest(
            f"https://{ACCOUNT_CONFIG_HOST}/api/account/{ACCOUNT}/configuration/{method}", query_params=ANY_QUERY_PARAMS
        )
        http_mocker.get(request, (answers or {}).get(method, HttpResponse("[]")))


class VerifiedHttpMocker(HttpMocker):
    """An HttpMocker whose context manager, like its decorator form, fails when a mocked request was not made as
    often as it has answers."""

    def __init__(self) -> None:
        super().__init__()
        self.expected: list[tuple[HttpRequest, int]] = []

    def get(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        super().get(request, responses)
        self.expected.append((request, len(responses) if isinstance(responses, list) else 1))

    def post(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        super().post(request, responses)
        self.expected.append((request, len(responses) if isinstance(responses, list) else 1))

    def __exit__(self, *raised: Any) -> None:
        super().__exit__(*raised)
        if raised[0] is None:
            for request, answers in self.expected:
                try:
                    self.assert_number_of_calls(request, answers)
                except AssertionError:
                    raise AssertionError(f"{request} was not made exactly {answers} time(s), as mocked") from None


@pytest.fixture
def http_mocker() -> Iterator[HttpMocker]:
    with VerifiedHttpMocker() as mocker:
        yield mocker


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause of a second or more (LivePerson's retry pauses, the CDK's backoffs), recorded instead of slept."""
    slept: list[float] = []
    real_sleep = time.sleep

    def fake_sleep(seconds: float) -> None:
        if seconds >= 1:
            slept.append(round(seconds, 3))
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", fake_sleep)
    return slept

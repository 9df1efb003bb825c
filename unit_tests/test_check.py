"""`check`: find the hosts, sign in, read one entry of the last completed hour of interval metrics and of status
changes, and the roster; a failure names the step, and other streams that cannot be read are said, not failed."""

from __future__ import annotations

import json
from typing import Any

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse
from freezegun import freeze_time

from source_interval_metrics import SourceIntervalMetrics
from source_interval_metrics.manifest import manifest
from unit_tests.conftest import (
    ACCOUNT,
    DOMAIN_API,
    STREAMS,
    VerifiedHttpMocker,
    config,
    metrics_request,
    mock_roster,
    mock_sign_in,
    page,
    status_page,
    status_request,
)

NOW = "2026-11-25T10:07:00Z"
SKILL = "skill_interval_metrics"
LAST_HOUR_OF_CHANGES = status_request("2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z", limit="1")


def check(cfg: dict[str, Any]) -> tuple[Status, str | None]:
    status = SourceIntervalMetrics(None, cfg, None, source_config=manifest()).check(None, cfg)  # type: ignore[arg-type]
    return status.status, status.message


@freeze_time(NOW)
def test_check_reads_one_entry_of_the_last_completed_hour() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(metrics_request(SKILL, "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z", pageSize="1"), page([]))
        http_mocker.get(LAST_HOUR_OF_CHANGES, status_page([]))
        mock_roster(http_mocker)
        assert check(config()) == (Status.SUCCEEDED, None)


@freeze_time(NOW)
def test_check_succeeds_and_says_so_when_status_changes_need_a_permission_the_key_lacks() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(metrics_request(SKILL, "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z", pageSize="1"), page([]))
        http_mocker.get(LAST_HOUR_OF_CHANGES, status_page([], status=403))
        mock_roster(http_mocker, {"le-users/users": HttpResponse('{"message": "Forbidden"}', 403)})
        status, message = check(config())
    assert status == Status.SUCCEEDED
    assert message == (
        "agent_status_changes cannot be read: LivePerson denied access to account 123456 (HTTP 403: no message). "
        "Reading agent status changes needs the Data > Workforce Management > Agent Status Changes permission: add "
        "it to the OAuth 2.0 application in the Management Console. The other streams sync without it. "
        "users cannot be read: LivePerson did not let the application read users (HTTP 403: Forbidden). "
        "Reading users needs the users.external scope (Administration > Users): add it to the OAuth 2.0 application "
        "in the Management Console. The other streams sync without it."
    )


@freeze_time(NOW)
def test_check_names_the_domain_api_when_the_account_is_unknown() -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(
            HttpRequest(
                f"{DOMAIN_API}/api/account/{ACCOUNT}/service/agentActivityDomain/baseURI.json",
                query_params={"version": "1.0"},
            ),
            HttpResponse("{}", 404),
        )
        status, message = check(config())
    assert status == Status.FAILED
    assert message == (
        "Finding the account's hosts failed: LivePerson's Domain API does not know account '123456' "
        "(HTTP 404). Check the Account ID."
    )


@freeze_time(NOW)
def test_check_names_signing_in_when_sentinel_refuses_the_client() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker, tokens=[HttpResponse(json.dumps({"error": "invalid_client"}), 401)])
        status, message = check(config())
    assert status == Status.FAILED and message is not None
    assert message.startswith(
        "Signing in failed: LivePerson's Sentinel refused the OAuth 2.0 client for account "
        "123456 (HTTP 401: invalid_client)."
    )


@freeze_time(NOW)
def test_check_names_the_api_when_it_denies_access() -> None:
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        http_mocker.get(
            metrics_request(SKILL, "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z", pageSize="1"),
            HttpResponse('{"message": "Forbidden"}', 403),
        )
        status, message = check(config())
    assert status == Status.FAILED and message is not None
    assert message.startswith(
        "Reading interval metrics failed: LivePerson denied access to account 123456 (HTTP 403: Forbidden)."
    )


@freeze_time(NOW)
def test_check_succeeds_when_liveperson_refuses_only_a_metric_for_the_grouping(http_mocker: HttpMocker) -> None:
    """The read goes on without the metric (see test_readings), so the connection is good."""
    mock_sign_in(http_mocker)
    refusal = {"message": "Invalid request", "causes": ["closedConversations requires grouping conversation"]}
    last_hour = (SKILL, "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z")
    http_mocker.get(metrics_request(*last_hour, pageSize="1"), HttpResponse(json.dumps(refusal), 400))
    without_closed = STREAMS[SKILL][1].replace(",closedConversations", "")
    http_mocker.get(metrics_request(*last_hour, pageSize="1", metrics=without_closed), page([]))
    http_mocker.get(LAST_HOUR_OF_CHANGES, status_page([]))
    mock_roster(http_mocker)
    assert check(config()) == (Status.SUCCEEDED, None)

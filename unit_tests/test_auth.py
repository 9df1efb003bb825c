"""Signing in: one shared OAuth 2.0 token, renewed before it expires and after a 401; clear refusals."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from source_interval_metrics.components.auth import SentinelOAuthAuthenticator
from source_interval_metrics.source import REFUSED_TOKEN
from unit_tests.conftest import (
    ACCOUNT,
    DOMAIN_API,
    SENTINEL_HOST,
    STREAMS,
    VerifiedHttpMocker,
    config,
    entry,
    metrics_request,
    mock_sign_in,
    page,
    read_streams,
)

NOW = "2026-11-25T10:07:00Z"
TOKEN_URL = f"https://{SENTINEL_HOST}/sentinel/api/v2/account/{ACCOUNT}/app/token"
WINDOW = ("2026-11-25T00:00:00Z", "2026-11-25T10:00:00Z")


def token_request() -> HttpRequest:
    return HttpRequest(
        TOKEN_URL, body="grant_type=client_credentials&client_id=client-id-0001&client_secret=client-secret-0001"
    )


def token_answer(token: str, lifetime: int = 3600) -> HttpResponse:
    return HttpResponse(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": lifetime}))


def authenticator() -> SentinelOAuthAuthenticator:
    """As the manifest builds it: the token path, on the Sentinel host (here a `domain` given as a URL)."""
    return SentinelOAuthAuthenticator(
        config={"account_id": ACCOUNT, "domain": f"https://{SENTINEL_HOST}", "domain_api_url": DOMAIN_API},
        parameters={},
        token_refresh_endpoint=f"/sentinel/api/v2/account/{ACCOUNT}/app/token",
        grant_type="client_credentials",
        client_id="client-id-0001",
        client_secret="client-secret-0001",
    )


@freeze_time(NOW)
def test_one_look_up_of_each_host_and_one_token_serve_every_stream() -> None:
    cfg = config(start_date="2026-11-25T00:00:00Z")
    with VerifiedHttpMocker() as http_mocker:
        sign_in = mock_sign_in(http_mocker)
        for stream in STREAMS:
            http_mocker.get(metrics_request(stream, *WINDOW), page([]))
        output = read_streams(cfg, sync_mode=SyncMode.full_refresh)
        for request in sign_in:
            http_mocker.assert_number_of_calls(request, 1)
    assert not output.errors


def test_a_token_is_renewed_before_it_expires() -> None:
    request = token_request()
    with VerifiedHttpMocker() as http_mocker, freeze_time("2026-11-25T10:00:00Z") as clock:
        http_mocker.post(request, [token_answer("token-one-0001", 600), token_answer("token-two-0002", 600)])
        signed_in = authenticator()
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-one-0001"
        clock.tick(530)  # 70 s before expiry: still good
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-one-0001"
        clock.tick(20)  # 50 s before expiry: renewed
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-two-0002"
        http_mocker.assert_number_of_calls(request, 2)


@freeze_time(NOW)
def test_a_revoked_token_is_replaced_once_and_the_read_goes_on() -> None:
    stream = "skill_interval_metrics"
    cfg = config(start_date="2026-11-25T00:00:00Z")
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker, tokens=[token_answer("token-one-0001"), token_answer("token-two-0002")])
        http_mocker.get(
            metrics_request(stream, *WINDOW),
            [
                HttpResponse('{"message": "Unauthorized: unknown or revoked token"}', 401),
                page([entry("2026-11-25T09:00:00Z", "2026-11-25T09:15:00Z", skillId=1)]),
            ],
        )
        output = read_streams(cfg, stream)
    assert not output.errors and len(output.records) == 1


@freeze_time(NOW)
def test_a_token_refused_even_when_fresh_is_a_config_error_that_says_what_to_check() -> None:
    stream = "skill_interval_metrics"
    cfg = config(start_date="2026-11-25T00:00:00Z")
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker, tokens=[token_answer("token-one-0001"), token_answer("token-two-0002")])
        http_mocker.get(metrics_request(stream, *WINDOW), [HttpResponse('{"message": "Unauthorized"}', 401)] * 2)
        output = read_streams(cfg, stream)
    refused = [m.trace.error for m in output.errors if m.trace.error.message == REFUSED_TOKEN]
    assert len(refused) == 1 and refused[0].failure_type == FailureType.config_error


def test_a_wrong_client_secret_is_a_config_error_naming_the_account() -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.post(token_request(), HttpResponse('{"error": "invalid_client"}', 401))
        with pytest.raises(AirbyteTracedException) as raised:
            authenticator().get_auth_header()
    assert raised.value.failure_type == FailureType.config_error
    assert "refused the OAuth 2.0 client for account 123456 (HTTP 401: invalid_client)" in str(raised.value.message)


def test_a_sentinel_outage_is_retried_then_reported_as_transient(pauses: list[float]) -> None:
    request = token_request()
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.post(request, [HttpResponse("{}", 503), HttpResponse("{}", 502), token_answer("token-one-0001")])
        assert authenticator().get_auth_header()["Authorization"] == "Bearer token-one-0001"
        http_mocker.assert_number_of_calls(request, 3)
    with VerifiedHttpMocker() as http_mocker:  # another sync
        http_mocker.post(request, [HttpResponse("{}", 503)] * 4)  # the first and 3 retries
        with pytest.raises(AirbyteTracedException) as raised:
            authenticator().get_auth_header()
    assert raised.value.failure_type == FailureType.transient_error
    assert raised.value.message == (
        "LivePerson at va.sentinel.liveperson.net still failed after 3 retries, 5, 10 and 15 s apart (HTTP 503: {}). "
        "Try the sync again later: it resumes from the state saved."
    )


@pytest.mark.parametrize("lifetime", [None, "soon", "nan", -5, 0])
def test_a_token_without_a_usable_lifetime_is_kept_an_hour_less_a_minute(lifetime: str | int | None) -> None:
    request = token_request()
    answers = [
        HttpResponse(json.dumps({"access_token": token, "expires_in": lifetime}))
        for token in ("token-one-0001", "token-two-0002")
    ]
    with VerifiedHttpMocker() as http_mocker, freeze_time("2026-11-25T10:00:00Z") as clock:
        http_mocker.post(request, answers)
        signed_in = authenticator()
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-one-0001"
        clock.tick(3530)  # 70 s before the hour: still good
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-one-0001"
        clock.tick(20)  # 50 s before the hour: renewed
        assert signed_in.get_auth_header()["Authorization"] == "Bearer token-two-0002"

"""Domain API look-ups: which host serves the account's Agent Activity API and its Sentinel token service."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics import service_hosts
from source_interval_metrics.components.account import LivePersonAccount
from unit_tests.conftest import ACCOUNT, DOMAIN_API, VerifiedHttpMocker, config


def domain_request(service: str, api: str = DOMAIN_API) -> HttpRequest:
    return HttpRequest(f"{api}/api/account/{ACCOUNT}/service/{service}/baseURI.json", query_params={"version": "1.0"})


def lookup(service: str, account: LivePersonAccount | None = None) -> str:
    """The base URL of `service` for the Domain API's account, as a fresh verb (or `account`'s) finds it."""
    return service_hosts.service_url(
        {**config(), "domain_api_url": DOMAIN_API}, service, account or LivePersonAccount()
    )


def url_of(given: dict[str, Any], service: str) -> str:
    return service_hosts.service_url(given, service, LivePersonAccount())


def answer(service: str, host: str) -> HttpResponse:
    return HttpResponse(json.dumps({"service": service, "account": ACCOUNT, "baseURI": host}))


def test_hosts_are_discovered_and_reached_over_the_domain_api_scheme() -> None:
    api = "http://127.0.0.1:8123"
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(domain_request("agentActivityDomain", api), answer("agentActivityDomain", "127.0.0.1:8123"))
        http_mocker.get(domain_request("sentinel", api), answer("sentinel", "127.0.0.1:8124"))
        given = {**config(), "domain_api_url": api}
        assert url_of(given, service_hosts.AGENT_ACTIVITY) == "http://127.0.0.1:8123"
        assert url_of(given, service_hosts.SENTINEL) == "http://127.0.0.1:8124"


@pytest.mark.parametrize(
    ("domain", "url"),
    [
        ("va.agentactivity.liveperson.net", "https://va.agentactivity.liveperson.net"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ],
)
def test_a_configured_domain_is_used_as_is_without_a_lookup(domain: str, url: str) -> None:
    with VerifiedHttpMocker():
        assert url_of({**config(), "domain": domain, "domain_api_url": DOMAIN_API}, service_hosts.AGENT_ACTIVITY) == url


def test_lookups_are_cached() -> None:
    request = domain_request("sentinel")
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(request, answer("sentinel", "va.sentinel.liveperson.net"))
        account = LivePersonAccount()
        first, second = lookup("sentinel", account), lookup("sentinel", account)
        http_mocker.assert_number_of_calls(request, 1)
    assert first == second == "https://va.sentinel.liveperson.net"


def test_an_unknown_account_is_a_config_error_naming_it() -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(domain_request("sentinel"), HttpResponse('{"message": "not found"}', 404))
        with pytest.raises(AirbyteTracedException) as raised:
            lookup("sentinel")
    assert raised.value.failure_type == FailureType.config_error
    assert f"account '{ACCOUNT}'" in (raised.value.message or "")


def test_a_service_missing_from_the_answer_is_a_config_error() -> None:
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(domain_request("agentActivityDomain"), HttpResponse('{"account": "123456"}'))
        with pytest.raises(AirbyteTracedException, match="no 'agentActivityDomain' host") as raised:
            lookup("agentActivityDomain")
    assert raised.value.failure_type == FailureType.config_error


def test_a_domain_api_outage_is_retried_with_growing_pauses_then_reported(pauses: list[float]) -> None:
    """Through the CDK's HTTP client, with LivePerson's retry policy, as the streams' requests."""
    request = domain_request("sentinel")
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(request, [HttpResponse("{}", 503)] * 4)  # the first and 3 retries
        with pytest.raises(
            AirbyteTracedException,
            match="LivePerson at api.liveperson.net still failed after 3 retries, 5, 10 and 15 s apart .HTTP 503",
        ) as raised:
            lookup("sentinel")
    assert pauses == [5.0, 10.0, 15.0]
    assert raised.value.failure_type == FailureType.transient_error


def test_a_domain_given_as_a_url_serves_the_token_too_unless_the_domain_api_is_set() -> None:
    local = "http://127.0.0.1:8080"
    with VerifiedHttpMocker():
        given = {**config(), "domain": local, "domain_api_url": DOMAIN_API}
        assert url_of(given, service_hosts.AGENT_ACTIVITY) == url_of(given, service_hosts.SENTINEL) == local
    with VerifiedHttpMocker() as http_mocker:
        http_mocker.get(domain_request("sentinel", local), answer("sentinel", "127.0.0.1:9090"))
        assert url_of({**config(), "domain": local, "domain_api_url": local}, service_hosts.SENTINEL) == (
            "http://127.0.0.1:9090"
        )


def test_a_mocked_answer_left_unused_fails_the_test() -> None:
    """What keeps every HttpMocker test in this suite honest: a mock not asked as often as it answers is an error."""
    with pytest.raises(AssertionError, match="was not made exactly 2 time"), VerifiedHttpMocker() as http_mocker:
        http_mocker.get(domain_request("sentinel"), [HttpResponse("{}", 503), HttpResponse('{"baseURI": "h"}')])
        requests.get(f"{DOMAIN_API}/api/account/{ACCOUNT}/service/sentinel/baseURI.json?version=1.0", timeout=5)

"""Which hosts serve an account: the config's `domain`, else LivePerson's Domain API (CSDS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.account import LivePersonAccount
from source_interval_metrics.components.answer import api_message
from source_interval_metrics.components.error_handler import ask_patiently

DEFAULT_DOMAIN_API = "https://api.liveperson.net"
AGENT_ACTIVITY = "agentActivityDomain"
SENTINEL = "sentinel"
TIMEOUT = (10.0, 30.0)


def base_url(host: str, scheme: str) -> str:
    """`host` as a base URL: used as is when it has a scheme, else reached over `scheme`."""
    host = host.strip().rstrip("/")
    return host if "://" in host else f"{scheme}://{host}"


def service_url(config: Mapping[str, Any], service: str, account: LivePersonAccount) -> str:
    """The base URL of the account's `service` (a requester's, as the manifest names it): for the Agent Activity API
    `domain` where given; for any service a `domain` given as a URL while the Domain API is LivePerson's own (a test
    server serving every service); else the Domain API's answer, which `account` remembers for a minute."""
    domain = config.get("domain") or ""
    if domain and (service == AGENT_ACTIVITY or ("://" in domain and config["domain_api_url"] == DEFAULT_DOMAIN_API)):
        return base_url(domain, "https")
    api = config["domain_api_url"]
    scheme = urlsplit(api).scheme or "https"
    return account.host(
        service, lambda: base_url(_ask_domain_api(api, str(config["account_id"]), service, account), scheme)
    )


def _ask_domain_api(api: str, account_id: str, service: str, account: LivePersonAccount) -> str:
    url = f"{api.rstrip('/')}/api/account/{quote(account_id)}/service/{quote(service)}/baseURI.json"
    response = ask_patiently(
        account, f"LivePerson's Domain API at {api}", "GET", url, TIMEOUT, params={"version": "1.0"}
    )
    if response.status_code in (400, 404):
        raise AirbyteTracedException(
            message=f"LivePerson's Domain API does not know account '{account_id}' (HTTP {response.status_code}). "
            "Check the Account ID.",
            failure_type=FailureType.config_error,
        )
    if response.status_code != 200:
        raise AirbyteTracedException(
            message=f"LivePerson's Domain API at {api} answered HTTP {response.status_code}: {api_message(response)}",
            failure_type=FailureType.system_error,
        )
    return _base_uri_of(response, account_id, service)


def _base_uri_of(response: requests.Response, account: str, service: str) -> str:
    try:
        host = response.json().get("baseURI")
    except (ValueError, AttributeError):
        host = None
    if not host:
        raise AirbyteTracedException(
            message=(
                f"LivePerson's Domain API has no '{service}' host for account '{account}': ask your LivePerson "
                "account team to enable the Agent Activity API (interval metrics) for the account."
            ),
            failure_type=FailureType.config_error,
        )
    return str(host)

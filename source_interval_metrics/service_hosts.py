"""Which hosts serve an account: LivePerson's Domain API (CSDS), asked once a minute at most."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.answer import api_message
from source_interval_metrics.components.error_handler import ask_patiently

DEFAULT_DOMAIN_API = "https://api.liveperson.net"
AGENT_ACTIVITY = "agentActivityDomain"
SENTINEL = "sentinel"
CACHE_SECONDS = 60.0
TIMEOUT = (10.0, 30.0)

_cache: dict[tuple[str, str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def base_url(host: str, scheme: str) -> str:
    """`host` as a base URL: used as is when it has a scheme, else reached over `scheme`."""
    host = host.strip().rstrip("/")
    return host if "://" in host else f"{scheme}://{host}"


def lookup(domain_api_url: str, account_id: str, service: str) -> str:
    """The base URL of `service` for `account_id`, from the Domain API at `domain_api_url`: asked once a minute at
    most, by one thread while the others wait for its answer."""
    key = (domain_api_url, account_id, service)
    with _lock:
        cached = _cache.get(key)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        host = _ask_domain_api(domain_api_url, account_id, service)
        url = base_url(host, urlsplit(domain_api_url).scheme or "https")
        _cache[key] = (time.monotonic(), url)
        return url


def forget() -> None:
    """For tests, which run many syncs in one process."""
    with _lock:
        _cache.clear()


def service_url(config: Mapping[str, Any], service: str) -> str:
    """The base URL of the account's `service` (a requester's, as the manifest names it): for the Agent Activity API
    `domain` where given; for any service a `domain` given as a URL while the Domain API is LivePerson's own (a test
    server serving every service); else the Domain API's answer."""
    domain = config.get("domain") or ""
    if domain and (service == AGENT_ACTIVITY or ("://" in domain and config["domain_api_url"] == DEFAULT_DOMAIN_API)):
        return base_url(domain, "https")
    return lookup(config["domain_api_url"], str(config["account_id"]), service)


def _ask_domain_api(api: str, account: str, service: str) -> str:
    url = f"{api.rstrip('/')}/api/account/{quote(account)}/service/{quote(service)}/baseURI.json"
    response = ask_patiently(f"LivePerson's Domain API at {api}", "GET", url, TIMEOUT, params={"version": "1.0"})
    if response.status_code in (400, 404):
        raise AirbyteTracedException(
            message=f"LivePerson's Domain API does not know account '{account}' (HTTP {response.status_code}). "
            "Check the Account ID.",
            failure_type=FailureType.config_error,
        )
    if response.status_code != 200:
        raise AirbyteTracedException(
            message=f"LivePerson's Domain API at {api} answered HTTP {response.status_code}: {api_message(response)}",
            failure_type=FailureType.system_error,
        )
    return _base_uri_of(response, account, service)


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

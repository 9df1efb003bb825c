"""What one check or sync knows about the LivePerson account, shared by all its streams: where each service is (asked
once a minute at most), the access token, and the hosts that stopped answering. The source puts a fresh one in the
config at the start of each verb (`ACCOUNT`); a component built without one keeps its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime, ab_datetime_now
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

ACCOUNT = "_liveperson_account"  # the config key of the verb's account (the platform's keys start with `_`)
HOST_SECONDS = 60.0  # how long a host the Domain API named is used before it is asked again, as LivePerson's SDKs do
Token = tuple[str, AirbyteDateTime]  # the access token, and when to renew it


class LivePersonAccount:
    """The hosts, the token and the hosts found down of one check or sync, each behind its own lock."""

    def __init__(self) -> None:
        self._hosts: dict[str, tuple[float, str]] = {}  # service -> (when asked, base URL)
        self._token: Token | None = None
        self._down: dict[str, str] = {}  # host -> what its last request met, as said to the user
        self._hosts_lock, self._token_lock, self._down_lock = threading.Lock(), threading.Lock(), threading.Lock()

    def __repr__(self) -> str:
        return "LivePersonAccount()"  # never its token

    def host(self, service: str, ask: Callable[[], str]) -> str:
        """The base URL of `service`: `ask()`ed once a minute at most, by one thread while the others wait for it."""
        with self._hosts_lock:
            known = self._hosts.get(service)
            if known and time.monotonic() - known[0] < HOST_SECONDS:
                return known[1]
            url = ask()
            self._hosts[service] = (time.monotonic(), url)
            return url

    def token(self, tried: str | None, fetch: Callable[[], Token]) -> Token:
        """The token every stream uses, unless it has expired or is the one the caller has `tried` (and LivePerson
        refused): then one `fetch`ed by one thread while the others wait for it."""
        with self._token_lock:
            if not self._token or self._token[1] <= ab_datetime_now() or self._token[0] == tried:
                self._token = fetch()
            return self._token

    def mark_down(self, url: str | None, said: str) -> None:
        """Once a request to the host has used up LivePerson's retries on an outage (`is_outage`), every other request
        to it fails at once in the same words: an outage ends a sync in a minute, not after each window's retries."""
        with self._down_lock:
            self._down.setdefault(host_of(url), said)

    def refuse_if_down(self, url: str | None) -> None:
        """Raises what the host's last request met, as a transient error, when an earlier request found it down."""
        with self._down_lock:
            said = self._down.get(host_of(url))
        if said:
            raise AirbyteTracedException(message=said, failure_type=FailureType.transient_error)


def account_of(config: Mapping[str, Any], own: LivePersonAccount) -> LivePersonAccount:
    """The verb's account, where the source has put one in `config`; else the component's `own`."""
    found = config.get(ACCOUNT)
    return found if isinstance(found, LivePersonAccount) else own


def host_of(url: str | None) -> str:
    return urlsplit(url or "").netloc


def is_outage(answer: requests.Response | requests.RequestException | None) -> bool:
    """A 5xx, or no answer at all (refused or dropped connection, DNS failure, timeout)."""
    if isinstance(answer, requests.Response):
        return answer.status_code >= 500
    return isinstance(answer, requests.ConnectionError | requests.Timeout)

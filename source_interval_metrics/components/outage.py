"""Hosts that stopped answering in this sync: once one request to a host has used up LivePerson's retries on a dropped
connection, a timeout or a 5xx, every other request to it fails at once in the same words (an outage ends a sync in
a minute, not after each window's own retries). The record is the process's, cleared where a sync or check starts."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

_down: dict[str, str] = {}  # host -> what its last request met, as said to the user
_lock = threading.Lock()


def host_of(url: str | None) -> str:
    return urlsplit(url or "").netloc


def is_outage(answer: requests.Response | requests.RequestException | None) -> bool:
    """A 5xx, or no answer at all (refused or dropped connection, DNS failure, timeout)."""
    if isinstance(answer, requests.Response):
        return answer.status_code >= 500
    return isinstance(answer, requests.ConnectionError | requests.Timeout)


def mark_down(url: str | None, said: str) -> None:
    with _lock:
        _down.setdefault(host_of(url), said)


def refuse_if_down(url: str | None) -> None:
    """Raises what the host's last request met, as a transient error, when an earlier request found it down."""
    with _lock:
        said = _down.get(host_of(url))
    if said:
        raise AirbyteTracedException(message=said, failure_type=FailureType.transient_error)


def forget() -> None:
    """Every host up again: where a sync or check starts (tests run many in one process)."""
    with _lock:
        _down.clear()

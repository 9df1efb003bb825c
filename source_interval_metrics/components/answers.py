"""What LivePerson answers: the decoded body (parsed once per response), its message, and its time format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

CURSOR_FIELD = "intervalStart"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
_BODY = "_interval_metrics_body"
_NOT_JSON: Mapping[str, Any] = {}


def decoded(response: requests.Response) -> Mapping[str, Any] | None:
    """The body as a JSON object, or None when it is empty, cut off or not an object."""
    body = getattr(response, _BODY, None)
    if body is None:
        try:
            parsed = orjson.loads(response.content)
        except (orjson.JSONDecodeError, TypeError):
            parsed = None
        body = parsed if isinstance(parsed, Mapping) else _NOT_JSON
        setattr(response, _BODY, body)
    return None if body is _NOT_JSON else body


def response_body(response: requests.Response) -> Mapping[str, Any]:
    """The body as a JSON object; the error handler has already retried answers that are not."""
    body = decoded(response)
    if body is None:
        raise AirbyteTracedException(
            message=f"LivePerson answered HTTP {response.status_code} with a body that is not a JSON object.",
            failure_type=FailureType.transient_error,
        )
    return body


def api_message(response: requests.Response) -> str:
    """LivePerson's own words about a failed request, on one line."""
    body = decoded(response) or {}
    for key in ("message", "error_description", "error", "errorMessage"):
        if isinstance(body.get(key), str) and body[key]:
            return " ".join(body[key].split())
    text = " ".join(response.text.split()) if response.content else ""
    return text[:300] or response.reason or "no message"


def to_rfc3339(value: str) -> str:
    """An RFC 3339 date-time as UTC with a `Z` and whole seconds, the form the cursor compares as text."""
    if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
        return value
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).strftime(RFC3339)


def epoch_ms_to_rfc3339(value: int | float) -> str:
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime(RFC3339)

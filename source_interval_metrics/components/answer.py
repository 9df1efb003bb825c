"""What LivePerson answers: the body (decoded once per answer), its message and causes, the request it answers, and
whether it is a page (of intervals or status changes) that moves on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.interval_grid import time_of

# Status words that mean "finished". Anything else (In Progress, Processing, Pending, words not seen yet) is not.
FINISHED = frozenset({"done", "completed", "complete", "finished", "processed", "ready", "success", "succeeded"})


def unfinished_interval_starts(body: Mapping[str, Any] | None) -> list[str] | None:
    """Start times of the intervals a 202 names as not finished, sorted; None when it names no interval at all.

    Entries carry `from`/`fromL` (as documented, or with only the milliseconds) or a nested `timeframe`.
    """
    entries = (body or {}).get("intervals")
    if not isinstance(entries, list):
        return None
    starts, usable = [], False
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        start = time_of(entry, "from") or time_of(entry.get("timeframe") or {}, "from")
        if start is None:
            continue
        usable = True
        status = "".join(str(entry.get("status") or "").lower().split())
        if status not in FINISHED:
            starts.append(start)
    return sorted(starts) if usable else None


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


def api_causes(response: requests.Response) -> str:
    """LivePerson's message and each of its `causes` ("fix the request according to the provided causes"), on one
    line."""
    causes = (decoded(response) or {}).get("causes")
    parts = [api_message(response)]
    for cause in causes if isinstance(causes, list) else [causes]:
        if isinstance(cause, Mapping):
            parts.append(" ".join(str(value) for value in cause.values() if isinstance(value, str | int)))
        elif isinstance(cause, str):
            parts.append(cause)
    return " ".join(" ".join(parts).split())


def page_problem(body: Mapping[str, Any] | None, records: str = "intervals") -> str | None:
    """What keeps a 200 body from being a page of `records` (`intervals`, or `stateChanges` for status changes), or
    None when it is one (an empty page is one)."""
    if body is None:
        return "a body that is not a JSON object"
    entries = body.get(records)
    if not isinstance(entries, list):
        return f"a body without {'an' if records[0] in 'aeiou' else 'a'} `{records}` array"
    for entry in entries:
        if records == "intervals":
            timeframe = entry.get("timeframe") if isinstance(entry, Mapping) else None
            if not isinstance(timeframe, Mapping) or time_of(timeframe, "from") is None:
                return "an interval without a usable `timeframe.from`"
        elif not isinstance(entry, Mapping) or not isinstance(entry.get("time"), str | int):
            return "a status change without a `time`"
    return None


def next_reference(body: Mapping[str, Any] | None) -> str | None:
    """The `next` link of a status-changes page (`_metadata.references`), or None."""
    references = ((body or {}).get("_metadata") or {}).get("references")
    for reference in references if isinstance(references, list) else ():
        if isinstance(reference, Mapping) and reference.get("rel") == "next" and reference.get("href"):
            return str(reference["href"])
    return None


def asked_query(response: requests.Response) -> dict[str, str]:
    """The query of the request that got `response`."""
    url = response.request.url if response.request is not None else None
    return dict(parse_qsl(urlsplit(url or "").query))


def page_asked_again(response: requests.Response) -> str | None:
    """The next page an answer names when it is the page just asked for (by `offset`, that or an earlier one): "not
    ready yet, ask again", not a step forward. None when the answer moves on, or names no next page."""
    body = decoded(response)
    paging = ((body or {}).get("metadata") or {}).get("paging") or {}
    asked, next_page_key, next_ref = (
        asked_query(response),
        paging.get("nextPageKey"),
        (paging.get("refs") or {}).get("next") or next_reference(body),
    )
    if next_page_key:
        return f"pageKey={next_page_key}" if str(next_page_key) == asked.get("pageKey") else None
    named = dict(parse_qsl(urlsplit(str(next_ref or "")).query))
    try:
        repeated = int(named["offset"]) <= int(asked.get("offset") or 0)
    except (KeyError, ValueError):
        return None
    return "&".join(f"{name}={named[name]}" for name in ("offset", "limit") if name in named) if repeated else None


def names_an_unfinished_interval(response: requests.Response) -> bool:
    """Whether a 202 names an interval still in progress inside the window it answers (starting at or before `to`)."""
    asked_to = asked_query(response).get("to") or ""
    return any(start <= asked_to for start in unfinished_interval_starts(decoded(response)) or ())

"""What LivePerson answers: the decoded body (parsed once per response), its message, and its time format."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.interval_grid import from_epoch, parse, rfc3339

CURSOR_FIELD = "intervalStart"
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
    """LivePerson's message and its `causes` ("fix the request according to the provided causes"), on one line."""
    causes = (decoded(response) or {}).get("causes")
    parts = [api_message(response)]
    for cause in causes if isinstance(causes, list) else [causes]:
        if isinstance(cause, Mapping):
            parts.extend(str(value) for value in cause.values() if isinstance(value, str | int))
        elif isinstance(cause, str):
            parts.append(cause)
    return " ".join(" ".join(parts).split())


# Where a message goes on to list what *is* allowed ("supported: handleTime, ..."), naming stops counting.
_ALLOWED_LIST = re.compile(r"\b(supported|allowed|valid|possible|expected)\b[^.;:]{0,30}(:|\bare\b)", re.IGNORECASE)


def requested_metrics(response: requests.Response) -> tuple[str, ...]:
    """The `metrics` the request that got `response` asked for."""
    url = response.request.url if response.request is not None else None
    asked = parse_qs(urlsplit(url or "").query).get("metrics", [""])[-1]
    return tuple(metric for metric in asked.split(",") if metric)


def with_parameter(url: str, name: str, value: str) -> str:
    """`url` with the query parameter `name` set to `value`."""
    link = urlsplit(url)
    query = [(key, value if key == name else old) for key, old in parse_qsl(link.query, keep_blank_values=True)]
    return urlunsplit(link._replace(query=urlencode(query)))


def without_metrics(url: str, refused: tuple[str, ...]) -> str:
    """`url` asking for its `metrics` less `refused`."""
    asked = parse_qs(urlsplit(url).query).get("metrics", [""])[-1]
    return with_parameter(url, "metrics", ",".join(m for m in asked.split(",") if m not in refused))


def refused_metrics(response: requests.Response) -> tuple[str, ...]:
    """The requested metrics a 400 names as refused (some, never all of them); empty when it is another refusal."""
    said = _ALLOWED_LIST.split(api_causes(response), maxsplit=1)[0]
    asked = requested_metrics(response)
    named = tuple(metric for metric in asked if re.search(rf"\b{metric}\b", said))
    return named if len(named) < len(asked) else ()


def asked_query(response: requests.Response) -> dict[str, str]:
    """The query of the request that got `response`."""
    url = response.request.url if response.request is not None else None
    return dict(parse_qsl(urlsplit(url or "").query))


def page_asked_again(response: requests.Response) -> str | None:
    """The next page an answer names when it is the page just asked for (by `offset`, that or an earlier one): "not
    ready yet, ask again", not a step forward. None when the answer moves on, or names no next page."""
    paging = ((decoded(response) or {}).get("metadata") or {}).get("paging") or {}
    asked, next_page_key, next_ref = (
        asked_query(response),
        paging.get("nextPageKey"),
        (paging.get("refs") or {}).get("next"),
    )
    if next_page_key:
        return f"pageKey={next_page_key}" if str(next_page_key) == asked.get("pageKey") else None
    named = dict(parse_qsl(urlsplit(str(next_ref or "")).query))
    try:
        repeated = int(named["offset"]) <= int(asked.get("offset") or 0)
    except (KeyError, ValueError):
        return None
    return "&".join(f"{name}={named[name]}" for name in ("offset", "limit") if name in named) if repeated else None


# A 400 about how far back `from` may go: one clause naming `from` and how old it may be.
_HISTORY_REFUSAL = re.compile(
    r"\bfrom\b[^.;]*\b(within|past|older|oldest|earliest|before|retention|history|ago)\b"
    r"|\b(within|past|older|oldest|earliest|before|retention|history|ago)\b[^.;]*\bfrom\b",
    re.IGNORECASE,
)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_AGE = re.compile(
    r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|six|twelve|fourteen)\s+(minute|hour|day|week|month)s?\b", re.I
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12, "fourteen": 14}
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}


def history_refused(response: requests.Response) -> bool:
    """Whether a 400 refuses the request's `from` as older than LivePerson keeps."""
    return "from" in asked_query(response) and bool(_HISTORY_REFUSAL.search(api_causes(response)))


def oldest_kept(said: str, now: dt.datetime) -> dt.datetime | None:
    """The oldest moment a refusal of `from` says LivePerson keeps (a time, or an age before `now`); None if neither."""
    named_time = _TIME.search(said)
    if named_time:
        try:
            return parse(named_time.group(0))
        except ValueError:
            pass
    age = _AGE.search(said)
    if not age:
        return None
    count = _NUMBERS.get(age.group(1).lower()) or float(age.group(1))
    return now - dt.timedelta(seconds=count * _UNITS[age.group(2).lower()])


def to_rfc3339(value: str) -> str:
    """An RFC 3339 date-time as UTC with a `Z` and whole seconds, the form the cursor compares as text."""
    if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
        return value
    return rfc3339(parse(value))


def time_of(fields: Mapping[str, Any], name: str) -> str | None:
    """`fields[name]` (RFC 3339), else `fields[name + "L"]` (epoch ms), as RFC 3339; None if neither is usable.

    The text wins: the method page's own 202 example carries a millisecond value that contradicts it.
    """
    text, millis = fields.get(name), fields.get(f"{name}L")
    try:
        if isinstance(text, str) and text:
            return to_rfc3339(text)
        if isinstance(millis, str) and millis.isdigit():
            millis = int(millis)
        if isinstance(millis, int | float) and not isinstance(millis, bool):
            return rfc3339(from_epoch(millis / 1000))
    except (ValueError, OverflowError, OSError):
        pass
    return None


def one_second_before(moment: str) -> str:
    """The `to` of a window that ends at the boundary `moment`: never a boundary, so no reading of `to` takes in the
    interval that starts at `moment`."""
    return rfc3339(parse(moment) - dt.timedelta(seconds=1))


def page_problem(body: Mapping[str, Any] | None) -> str | None:
    """What keeps a 200 body from being a page of intervals, or None when it is one (an empty page is one)."""
    if body is None:
        return "a body that is not a JSON object"
    entries = body.get("intervals")
    if not isinstance(entries, list):
        return "a body without an `intervals` array"
    for entry in entries:
        timeframe = entry.get("timeframe") if isinstance(entry, Mapping) else None
        if not isinstance(timeframe, Mapping) or time_of(timeframe, "from") is None:
            return "an interval without a usable `timeframe.from`"
    return None

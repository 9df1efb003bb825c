"""The request as LivePerson will take it: at the account's host (the config's `domain`, else the one its Domain API
names, asked on the first request and cached), asking only for metrics it has not refused, from the oldest interval
it keeps. One component owns each of these, so the manifest runs on its own and the error handler only classifies."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from typing import Any, cast

import requests
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.types import StreamSlice, StreamState

from source_interval_metrics import service_hosts
from source_interval_metrics.components.answer import api_causes, api_said, asked_query
from source_interval_metrics.interval_grid import SAFETY_MARGIN, ceil, parse, rfc3339

logger = logging.getLogger("airbyte")

# Where a message goes on to list what *is* allowed ("supported: handleTime, ..."), naming stops counting.
_ALLOWED_LIST = re.compile(r"\b(supported|allowed|valid|possible|expected)\b[^.;:]{0,30}(:|\bare\b)", re.IGNORECASE)


def requested_metrics(response: requests.Response) -> tuple[str, ...]:
    """The `metrics` the request that got `response` asked for."""
    return tuple(metric for metric in asked_query(response).get("metrics", "").split(",") if metric)


def refused_metrics(response: requests.Response) -> tuple[str, ...]:
    """The requested metrics a 400 names as refused (some, never all of them); empty when it is another refusal."""
    said = _ALLOWED_LIST.split(api_causes(response), maxsplit=1)[0]
    asked = requested_metrics(response)
    named = tuple(metric for metric in asked if re.search(rf"\b{metric}\b", said))
    return named if len(named) < len(asked) else ()


# Page sizes the method pages and their drafts have named, largest first: tried in turn when a refusal of `limit`
# names no size of its own (the last is the documented default).
PAGE_SIZES_TO_TRY = (5000, 1000, 100, 50)
# A 400 about the page size: a sentence naming `limit`, and neither `from` nor a span of time.
_PAGE_LIMIT = re.compile(r"\blimit\b", re.IGNORECASE)
_NOT_A_PAGE = re.compile(r"\b(from|retention|history|minutes?|hours?|days?|weeks?|months?|years?|\d{4}-\d\d)\b", re.I)


def largest_limit(response: requests.Response) -> int | None:
    """The largest `limit` a 400 names, when the request asked for more; else None. It is the largest number below
    the one asked for in a sentence about `limit` ("limit: must be less than or equal to 100", "limit 20000 is more
    than the maximum of 5000", "limit: must be between 1 and 250"), or the next smaller documented size where the
    sentence names none ("limit: invalid value")."""
    asked = asked_query(response).get("limit", "")
    if not asked.isdigit():
        return None
    sentences = [part for said in api_said(response) for part in re.split(r"\.\s", said)]
    about_limit = [
        sentence for sentence in sentences if _PAGE_LIMIT.search(sentence) and not _NOT_A_PAGE.search(sentence)
    ]
    named = [int(number) for sentence in about_limit for number in re.findall(r"\b\d+\b", sentence)]
    below = [number for number in named if 0 < number < int(asked)]
    if about_limit and not named:  # refused without naming a size: the next smaller of the sizes seen documented
        below = [size for size in PAGE_SIZES_TO_TRY if size < int(asked)][:1]
    return max(below) if below else None


# A 400 about how far back `from` may go: one clause naming `from` and how old it may be.
_HISTORY_REFUSAL = re.compile(
    r"\bfrom\b[^.;]*\b(within|past|older|oldest|earlier|earliest|before|prior|retention|history|ago)\b"
    r"|\b(within|past|older|oldest|earlier|earliest|before|prior|retention|history|ago)\b[^.;]*\bfrom\b",
    re.IGNORECASE,
)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_AGE = re.compile(
    r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|six|twelve|fourteen)\s+(minute|hour|day|week|month)s?\b", re.I
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12, "fourteen": 14}
# A month is taken long: a limit taken too far back is refused and then searched, one taken too recent loses data.
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400}


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


@dataclass
class AgentActivityRequester(HttpRequester):
    """The manifest's HttpRequester at the account's Agent Activity host, which sends a request again at once without
    a metric LivePerson refuses (left out for the rest of the sync, one WARN), with the largest page size a 400 names,
    or from the oldest moment LivePerson keeps when it refuses `from` as too old (a WARN names what is lost; older
    windows are not asked). It takes `request_parameters` and `request_headers` itself (the CDK hands a custom
    requester only the fields it declares). `$parameters`: `records_named`, `documented_history` (empty when a refusal
    is no surprise) and `history_step_minutes` (the search's step; else the interval length)."""

    parameters: InitVar[Mapping[str, Any]]
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.request_options_provider = InterpolatedRequestOptionsProvider(
            config=self.config,
            request_parameters=dict(self.request_parameters),
            request_headers=dict(self.request_headers),
            parameters=parameters,
        )
        super().__post_init__(parameters)
        self._refused: dict[str, str] = {}  # metric -> LivePerson's reason, for this stream, for the whole sync
        self._largest_limit: int | None = None
        self._refused_before: dt.datetime | None = None  # the latest `from` LivePerson refused as too old
        self._unread_from: dt.datetime | None = None  # the start of the oldest window it refused
        self._documented = str(parameters.get("documented_history", "the 14 days its method page documents"))
        self._records_named = str(parameters.get("records_named", "intervals"))
        self._step_minutes = parameters.get("history_step_minutes")
        self._lock = threading.Lock()

    def get_url_base(
        self,
        *,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        return service_hosts.agent_activity_url(self.config)

    def get_request_params(
        self,
        *,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        params = super().get_request_params(
            stream_state=stream_state, stream_slice=stream_slice, next_page_token=next_page_token
        )
        with self._lock:
            refused, largest = set(self._refused), self._largest_limit
        if refused and isinstance(params.get("metrics"), str):
            params["metrics"] = ",".join(metric for metric in params["metrics"].split(",") if metric not in refused)
        if largest and str(params.get("limit", "")).isdigit() and int(params["limit"]) > largest:
            params["limit"] = str(largest)
        return params

    def send_request(  # type: ignore[override]  # the CDK's signature, keyword arguments passed through
        self,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> requests.Response | None:
        with self._lock:
            refused_before = self._refused_before
        if refused_before and stream_slice and not next_page_token and parse(stream_slice["end_time"]) < refused_before:
            return None  # LivePerson has refused a later `from` as too old: this window is gone too
        response = self._without_refused_metrics(stream_state, stream_slice, next_page_token, **kwargs)
        if response is not None and response.status_code == 400 and stream_slice is not None:
            return self._from_the_oldest_kept(response, stream_state, stream_slice, next_page_token, **kwargs)
        return response  # the error handler lets no other 400 by

    def _without_refused_metrics(
        self,
        stream_state: StreamState | None,
        stream_slice: StreamSlice | None,
        next_page_token: Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """The answer to the request, sent again at once without each metric LivePerson refuses, and with its largest
        page size when it refuses a larger one."""
        while True:
            response = super().send_request(stream_state, stream_slice, next_page_token, **kwargs)
            if response is None or response.status_code != 400:
                return response
            refused, largest = refused_metrics(response), largest_limit(response)
            if refused:
                self._refuse(refused, api_causes(response))
            elif largest:
                self._limit_to(largest, api_causes(response))
            else:
                return response

    def _limit_to(self, largest: int, reason: str) -> None:
        with self._lock:
            if self._largest_limit is None or largest < self._largest_limit:
                self._largest_limit = largest
                logger.info(f"{self.name}: LivePerson takes at most {largest} records a page ({reason}); asking so.")

    def _refuse(self, metrics: tuple[str, ...], reason: str) -> None:
        with self._lock:
            for metric in metrics:
                if metric not in self._refused:
                    self._refused[metric] = reason
                    logger.warning(
                        f"{self.name}: LivePerson refused the metric {metric} ({reason}); this stream goes on without "
                        f"it, and {metric} is null in its records."
                    )

    def _from_the_oldest_kept(
        self,
        refusal: requests.Response,
        stream_state: StreamState | None,
        window: StreamSlice,
        next_page_token: Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """The window's first page from the oldest moment LivePerson keeps: where its refusal says (an age or a time),
        else found by halving down to one step (the latest step first: if even that is refused, so is the window). A
        WARN names what can no longer be read; a window LivePerson keeps none of ends with the refusal, empty."""
        step = dt.timedelta(minutes=int(self._step_minutes or self.config["interval_duration"]))
        said, refused_at = api_causes(refusal), parse(window["start_time"])
        boundary = parse(window["end_time"]) + dt.timedelta(seconds=1)
        oldest = oldest_kept(said, dt.datetime.now(dt.UTC))
        named = ceil(oldest + SAFETY_MARGIN, int(step.total_seconds()) // 60) if oldest else None
        kept_from, kept = boundary, cast(requests.Response | None, refusal)

        def kept_when_asked_from(start: dt.datetime) -> bool:
            nonlocal refused_at, kept_from, kept
            later = StreamSlice(
                partition=window.partition,
                cursor_slice={**window.cursor_slice, "start_time": rfc3339(start)},
                extra_fields=window.extra_fields,
            )
            answer = self._without_refused_metrics(stream_state, later, next_page_token, **kwargs)
            if answer is not None and answer.status_code == 400 and history_refused(answer):
                refused_at = start
                return False
            kept_from, kept = start, answer
            return True

        if named is not None and named >= boundary:
            refused_at = named  # the whole window is older than LivePerson keeps, and so is every earlier one
        elif not (named is not None and refused_at < named and kept_when_asked_from(named)):
            if refused_at < boundary - step and kept_when_asked_from(boundary - step):
                while kept_from - refused_at > step:
                    kept_when_asked_from(refused_at + max(step, (kept_from - refused_at) // 2 // step * step))
        with self._lock:
            self._refused_before = max(filter(None, (self._refused_before, refused_at)))
            self._unread_from = min(filter(None, (self._unread_from, parse(window["start_time"]))))
            unread_from = self._unread_from
        kept_less = f"keeps less history than {self._documented}" if self._documented else "no longer keeps them"
        logger.warning(
            f"{self.name}: LivePerson {kept_less} ({said}). The {self._records_named} from {rfc3339(unread_from)} "
            f"to {rfc3339(kept_from)} can no longer be read"
            + (f"; this window starts at {rfc3339(kept_from)}." if kept_from < boundary else ".")
        )
        return kept

"""The request as LivePerson will take it: at the account's host (the config's `domain`, else the one its Domain API
names), asking only for metrics it has not refused, with a page size it takes, from the oldest moment it keeps. The
requester owns every 400 (the error handler lets it by): it learns what it can by asking again, and raises the rest."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from typing import Any, cast

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.types import StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics import service_hosts
from source_interval_metrics.components.account import LivePersonAccount, account_of
from source_interval_metrics.components.answer import api_causes, asked_query
from source_interval_metrics.interval_grid import floor, parse, rfc3339

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


# Page sizes the method pages and their drafts have named, largest first: tried in turn when LivePerson refuses a
# request that asks for a larger `limit`, on its window, else on a recent one (the last is the documented default).
PAGE_SIZES_TO_TRY = (5000, 1000, 100, 50)


class RefusedRequest(AirbyteTracedException):
    """A 400 that no probe explains: the user's to fix, LivePerson's words quoted in full."""

    def __init__(self, refusal: requests.Response) -> None:
        said = api_causes(refusal)
        super().__init__(
            message=f"LivePerson refused the request (HTTP 400): {said}",
            internal_message=f"HTTP 400 for {refusal.request.url if refusal.request else 'a request'}: {said}",
            failure_type=FailureType.config_error,
        )


@dataclass
class LivePersonRequester(HttpRequester):
    """The manifest's HttpRequester at the account's host for its `service` (the Domain API's name: the config's
    `domain` for the Agent Activity API, else the Domain API's answer). It takes `request_parameters` and
    `request_headers` itself (the CDK hands a custom requester only the fields it declares)."""

    parameters: InitVar[Mapping[str, Any]]
    service: str = service_hosts.AGENT_ACTIVITY
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.request_options_provider = InterpolatedRequestOptionsProvider(
            config=self.config,
            request_parameters=dict(self.request_parameters),
            request_headers=dict(self.request_headers),
            parameters=parameters,
        )
        self._own_account = LivePersonAccount()
        super().__post_init__(parameters)

    def get_url_base(
        self,
        *,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        account = account_of(self.config, self._own_account)
        url = service_hosts.service_url(self.config, self.service, account)
        account.refuse_if_down(url)  # found down by another request of this sync: not asked, not retried
        return url


@dataclass
class AgentActivityRequester(LivePersonRequester):
    """The Agent Activity API's requester, which sends a request again at once without a metric LivePerson refuses
    (left out for the rest of the sync, one WARN), and explains any other 400 by asking again: with a smaller page
    size, or from the oldest moment LivePerson keeps (a WARN names what is lost; older windows are not asked).
    `$parameters`: `records_named`, `documented_history` (empty when a refusal is no surprise) and
    `history_step_minutes` (the search's step; else the interval length)."""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._refused: dict[str, str] = {}  # metric -> LivePerson's reason, for this stream, for the whole sync
        self._largest_limit: int | None = None
        self._refused_before: dt.datetime | None = None  # the latest `from` LivePerson refused as too old
        self._unread_from: dt.datetime | None = None  # the start of the oldest window it refused
        self._documented = str(parameters.get("documented_history", "the 14 days its method page documents"))
        self._records_named = str(parameters.get("records_named", "intervals"))
        self._step_minutes = parameters.get("history_step_minutes")
        self._lock = threading.Lock()
        self._probing = threading.Lock()
        self._learned = 0  # how many times a probe has learned a page size or the oldest `from`
        self._sizes_ruled_out = False  # no smaller page size mended a refused window: not tried on windows again

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
        """The answer to the request; a 400 (which the error handler lets by) is explained by asking again, else
        raised as the user's to fix."""
        while True:
            with self._lock:
                learned, refused_before = self._learned, self._refused_before
            if refused_before and stream_slice and not next_page_token:
                if parse(stream_slice["end_time"]) < refused_before:
                    return None  # LivePerson has refused a later `from` as too old: this window is gone too
            response = self._without_refused_metrics(stream_state, stream_slice, next_page_token, **kwargs)
            if response is None or response.status_code != 400:
                return response
            with self._probing:  # one probe at a time: what it learns serves the others
                if self._learned == learned:
                    return self._explained(response, stream_state, stream_slice, next_page_token, **kwargs)
            # another request's probe learned something while this one was out: asked again with it

    def _without_refused_metrics(
        self,
        stream_state: StreamState | None,
        stream_slice: StreamSlice | None,
        next_page_token: Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """The answer to the request, sent again at once without each metric LivePerson refuses (the one thing only
        its words can say)."""
        while True:
            response = super().send_request(stream_state, stream_slice, next_page_token, **kwargs)
            if response is None or response.status_code != 400:
                return response
            refused = refused_metrics(response)
            if not refused:
                return response
            self._refuse(refused, api_causes(response))

    def _explained(
        self,
        refusal: requests.Response,
        stream_state: StreamState | None,
        window: StreamSlice | None,
        next_page_token: Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """A 400 explained by structure, not by its words: a smaller documented page size that LivePerson takes mends it
        (status changes). Else the same request for a recent window tells: refused too (at every documented size),
        the request itself is refused, and raised quoted in full; taken, this window is older than LivePerson keeps,
        and it is read from the oldest step LivePerson takes."""
        if window is None or "start_time" not in window:
            raise RefusedRequest(refusal)
        answer = self._with_a_smaller_page(refusal, stream_state, window, next_page_token, **kwargs)
        if answer is not None:
            return answer
        recent = self._recent_window(window)
        taken = self._without_refused_metrics(stream_state, recent, None, **kwargs)
        if taken is not None and taken.status_code == 400:
            taken = self._with_a_documented_page_size(refusal, stream_state, recent, **kwargs)
            if taken is None:
                raise RefusedRequest(refusal)
            answer = self._without_refused_metrics(stream_state, window, next_page_token, **kwargs)
            if answer is None or answer.status_code != 400:
                return answer
            refusal = answer
        if next_page_token:
            raise AirbyteTracedException(
                message=f"{self.name}: LivePerson stopped taking a window between two of its pages "
                f"({api_causes(refusal)}); the next sync reads that window again.",
                failure_type=FailureType.transient_error,
            )
        return self._from_the_oldest_kept(
            refusal, stream_state, window, {(recent["start_time"], recent["end_time"]): taken}, **kwargs
        )

    def _recent_window(self, window: StreamSlice) -> StreamSlice:
        """The last finished step before now: a window LivePerson keeps whatever its history."""
        step = self._step()
        end = floor(dt.datetime.now(dt.UTC), int(step.total_seconds()) // 60)
        return StreamSlice(
            partition=window.partition,
            cursor_slice={"start_time": rfc3339(end - step), "end_time": rfc3339(end - dt.timedelta(seconds=1))},
            extra_fields=window.extra_fields,
        )

    def _with_a_smaller_page(
        self,
        refusal: requests.Response,
        stream_state: StreamState | None,
        window: StreamSlice,
        next_page_token: Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """The answer to the request with the first smaller documented `limit` LivePerson takes (status changes), which
        is asked for from then on; None when none is taken, and then not tried again this sync (the refusal is about
        something else, which the recent window tells)."""
        with self._lock:
            if self._sizes_ruled_out:
                return None
        answer = self._with_a_documented_page_size(refusal, stream_state, window, next_page_token, **kwargs)
        if answer is None:
            with self._lock:
                self._sizes_ruled_out = True
        return answer

    def _with_a_documented_page_size(
        self,
        refusal: requests.Response,
        stream_state: StreamState | None,
        window: StreamSlice,
        next_page_token: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """The answer for `window` with the largest documented `limit`, smaller than the refused request asked for,
        that LivePerson takes (asked for from then on); None when it takes none."""
        asked = asked_query(refusal).get("limit", "")
        for size in (size for size in PAGE_SIZES_TO_TRY if asked.isdigit() and size < int(asked)):
            with self._lock:
                self._largest_limit = size
            answer = self._without_refused_metrics(stream_state, window, next_page_token, **kwargs)
            if answer is not None and answer.status_code != 400:
                with self._lock:
                    self._learned += 1
                logger.info(f"{self.name}: LivePerson takes {size} records a page, not {asked}; asking so.")
                return answer
        with self._lock:
            self._largest_limit = None
        return None

    def _step(self) -> dt.timedelta:
        return dt.timedelta(minutes=int(self._step_minutes or self.config["interval_duration"]))

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
        known: Mapping[tuple[str, str], requests.Response | None],
        **kwargs: Any,
    ) -> requests.Response | None:
        """The window's first page from the oldest step LivePerson takes, found by halving down to one step (the latest
        step first: if even that is refused, so is the window). A WARN names what can no longer be read; a window
        LivePerson keeps none of ends with the refusal, empty. `known`: answers already had, by window (the recent
        window may be the latest step of this one)."""
        step = self._step()
        refused_at, boundary = parse(window["start_time"]), parse(window["end_time"]) + dt.timedelta(seconds=1)
        kept_from, kept = boundary, cast(requests.Response | None, refusal)

        def kept_when_asked_from(start: dt.datetime) -> bool:
            nonlocal refused_at, kept_from, kept
            later = StreamSlice(
                partition=window.partition,
                cursor_slice={**window.cursor_slice, "start_time": rfc3339(start)},
                extra_fields=window.extra_fields,
            )
            if (later["start_time"], later["end_time"]) in known:
                answer = known[later["start_time"], later["end_time"]]
            else:
                answer = self._without_refused_metrics(stream_state, later, None, **kwargs)
            if answer is not None and answer.status_code == 400:
                refused_at = start
                return False
            kept_from, kept = start, answer
            return True

        if refused_at < boundary - step and kept_when_asked_from(boundary - step):
            while kept_from - refused_at > step:
                kept_when_asked_from(refused_at + max(step, (kept_from - refused_at) // 2 // step * step))
        else:
            refused_at = boundary - step  # the whole window is older than LivePerson keeps, and so is every earlier one
        if refused_at == parse(window["start_time"]) and kept_when_asked_from(refused_at):
            raise RefusedRequest(refusal)  # no probe was refused, and the window's start is taken now: not its age
        with self._lock:
            self._refused_before = max(filter(None, (self._refused_before, refused_at)))
            self._learned += 1
            self._unread_from = min(filter(None, (self._unread_from, parse(window["start_time"]))))
            unread_from = self._unread_from
        kept_less = f"keeps less history than {self._documented}" if self._documented else "no longer keeps them"
        logger.warning(
            f"{self.name}: LivePerson {kept_less} ({api_causes(refusal)}). The {self._records_named} from "
            f"{rfc3339(unread_from)} to {rfc3339(kept_from)} can no longer be read"
            + (f"; this window starts at {rfc3339(kept_from)}." if kept_from < boundary else ".")
        )
        return kept

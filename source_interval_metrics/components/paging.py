"""Paging through one window: for interval metrics `nextPageKey`, else `refs.next`, through empty pages, and a 202 asks
for what is done; for status changes the `next` reference, until there is none or a page is empty."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any, TypedDict, cast
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.types import Config, Record, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.answer import (
    asked_query,
    decoded,
    next_reference,
    response_body,
    unfinished_interval_starts,
)
from source_interval_metrics.interval_grid import one_second_before

PAGING_PARAMETERS = ("pageKey", "offset", "limit")
# A page token: the one shape the manifest's `request_parameters` read, as `next_page_token['next_page_token'][...]`.
# `pageKey`, `offset`, `limit`: the next page (`limit` is the requester's to lower); `from`, `to`: the window as sent,
# where it differs from the cursor's (a later `from` where LivePerson keeps less, an earlier `to` after a 202);
# `followed`: the paginator's own (pages followed in this window), never sent.
PageToken = TypedDict(
    "PageToken",
    {"pageKey": str, "offset": str, "limit": str, "from": str, "to": str, "followed": tuple[str, ...]},
    total=False,
)
logger = logging.getLogger("airbyte")


@dataclass
class NextPageKeyPaginationStrategy(PaginationStrategy):
    """Follows `metadata.paging.nextPageKey`, else the paging parameters of `refs.next`, through empty pages.

    The token carries the keys already followed in this window, so a repeated key is caught without keeping state
    on the (shared) instance. On a 202 (some interval still In Progress) it asks for the window cut short one second
    before the first unfinished interval, as the method page advises; a 202 naming nothing unfinished inside the
    window, which the error handler has asked again after 5, 10 and 15 s, leaves the window to the next sync. Every
    page keeps the window's `from` as it was sent (later where LivePerson keeps less history) and its `to`.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = str(parameters.get("name", "stream"))

    @property
    def initial_token(self) -> Any | None:
        return None

    def get_page_size(self) -> int | None:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> PageToken | None:
        previous: Mapping[str, Any] = last_page_token_value or {}
        if response.status_code == 202:
            if any(name in previous for name in PAGING_PARAMETERS):
                raise AirbyteTracedException(
                    message=f"{self._stream}: LivePerson answered 202 (still processing) in the middle of a window's "
                    "pages; the next sync reads that window again.",
                    failure_type=FailureType.transient_error,
                )
            return self._finished_part_of_window(response, previous, stream_slice)
        paging = (response_body(response).get("metadata") or {}).get("paging") or {}
        next_page_key = paging.get("nextPageKey")
        next_ref = (paging.get("refs") or {}).get("next")
        if next_page_key:
            page = {"pageKey": str(next_page_key)}
        elif next_ref:
            page = self._paging_parameters_of(next_ref, response)
        else:
            return None
        followed: tuple[str, ...] = tuple(previous.get("followed", ()))
        key = "&".join(f"{name}={value}" for name, value in sorted(page.items()))
        if key in followed:  # an earlier page of this window (the page just read is asked again by the handler)
            raise AirbyteTracedException(
                message=(
                    f"LivePerson's next page ({key}) is a page this window has read already; stopping rather than "
                    "emit its entries twice. The next sync reads this window again."
                ),
                failure_type=FailureType.transient_error,
            )
        return cast(PageToken, {**page, **self._window(previous, response, stream_slice), "followed": (*followed, key)})

    def _window(
        self,
        previous: Mapping[str, Any],
        response: requests.Response | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> PageToken:
        """What a token keeps on every page of the window: its `from` when LivePerson keeps less history (the
        requester sent the first request again from later), and its `to` when a 202 cut it short."""
        window = cast(PageToken, {bound: previous[bound] for bound in ("from", "to") if previous.get(bound)})
        sent_from = asked_query(response).get("from") if response is not None else None
        if sent_from and stream_slice and sent_from != stream_slice.get("start_time"):
            window["from"] = sent_from
        return window

    def _finished_part_of_window(
        self, response: requests.Response, previous: Mapping[str, Any], stream_slice: StreamSlice | None
    ) -> PageToken | None:
        if not stream_slice or "start_time" not in stream_slice:
            return None
        start, asked_to = stream_slice["start_time"], previous.get("to") or stream_slice["end_time"]
        unfinished = unfinished_interval_starts(decoded(response))
        inside = [moment for moment in unfinished or () if moment <= asked_to]
        if inside and inside[0] <= start:
            logger.info(f"{self._stream}: LivePerson is still processing {start} to {asked_to}; a later sync reads it.")
            return None
        if inside:
            logger.info(
                f"{self._stream}: LivePerson is still processing the intervals from {inside[0]}; this sync reads up "
                "to there and a later sync reads the rest."
            )
            return {
                **self._window(previous, response, stream_slice),
                "to": one_second_before(inside[0]),
                "followed": (),
            }
        logger.warning(
            f"{self._stream}: LivePerson still answers 202 (still processing) for {start} to {asked_to} without "
            "naming an unfinished interval in it; this sync leaves that window, and the next sync reads it."
        )
        return None

    @staticmethod
    def _paging_parameters_of(next_ref: str, response: requests.Response) -> dict[str, str]:
        link = urlsplit(next_ref)
        here = urlsplit(response.request.url or "") if response.request is not None else None
        if link.netloc and (here is None or link.netloc != here.netloc):
            raise AirbyteTracedException(
                message=f"LivePerson's next-page link points at another host ({link.netloc}); refusing to follow it.",
                failure_type=FailureType.system_error,
            )
        page = {name: value for name, value in parse_qsl(link.query) if name in PAGING_PARAMETERS}
        if not page:
            raise AirbyteTracedException(
                message=f"LivePerson's next-page link has no paging parameter ({', '.join(PAGING_PARAMETERS)}).",
                failure_type=FailureType.system_error,
            )
        return page


@dataclass
class NextReferencePaginationStrategy(NextPageKeyPaginationStrategy):
    """Follows the `next` of `_metadata.references` by its `offset` and `limit` alone (never its host, scheme or other
    parameters: the request keeps its own, `v=2` among them); stops where there is none, or after an empty page (an
    offset past the last record). The window's `from`, where LivePerson keeps less history, is kept as above."""

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> PageToken | None:
        body = response_body(response)
        link = next_reference(body)
        if not link or not body.get("stateChanges"):
            return None
        page = {name: value for name, value in parse_qsl(urlsplit(link).query) if name in ("offset", "limit")}
        if not page.get("offset", "").isdigit():
            raise AirbyteTracedException(
                message=f"{self._stream}: LivePerson's next-page link has no usable offset ({link}).",
                failure_type=FailureType.system_error,
            )
        return cast(PageToken, {**page, **self._window(last_page_token_value or {}, response, stream_slice)})

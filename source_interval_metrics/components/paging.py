"""Paging through one window: `nextPageKey`, else `refs.next`, through empty pages; 202 narrows the window."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.types import Config, Record, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.answers import response_body, to_rfc3339

PAGING_PARAMETERS = ("pageKey", "offset", "limit")
logger = logging.getLogger("airbyte")


@dataclass
class NextPageKeyOrNextRef(PaginationStrategy):
    """Follows `metadata.paging.nextPageKey`, else the paging parameters of `refs.next`, through empty pages.

    The token carries the keys already followed in this window, so a repeated key is caught without
    keeping state on the (shared) instance. A 202 (some interval still In Progress) is followed by the same
    window cut short before the first unfinished interval (`to` in the token), as the method page advises;
    the cut-off intervals are read by a later sync, since no record after them was emitted.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._parameters = parameters

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
    ) -> Mapping[str, Any] | None:
        previous: Mapping[str, Any] = last_page_token_value or {}
        if response.status_code == 202:
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
        if key in followed:
            raise AirbyteTracedException(
                message=(
                    f"LivePerson sent the same next page ({key}) twice for one window; stopping so as not to "
                    "read the same entries forever. Retry the sync later."
                ),
                failure_type=FailureType.transient_error,
            )
        cut_short = {"to": previous["to"]} if previous.get("to") else {}
        return {**page, **cut_short, "followed": (*followed, key)}

    def _finished_part_of_window(
        self, response: requests.Response, previous: Mapping[str, Any], stream_slice: StreamSlice | None
    ) -> Mapping[str, Any] | None:
        stream = self._parameters.get("name", "stream")
        if any(name in previous for name in PAGING_PARAMETERS):
            raise AirbyteTracedException(
                message=f"{stream}: LivePerson answered 202 (still processing) in the middle of a window's pages; "
                "the next sync reads that window again.",
                failure_type=FailureType.transient_error,
            )
        statuses = response_body(response).get("intervals") or []
        pending = sorted(to_rfc3339(s["from"]) for s in statuses if s.get("from") and s.get("status") != "Done")
        if not pending or (previous.get("to") and pending[0] >= previous["to"]):
            raise AirbyteTracedException(
                message=f"{stream}: LivePerson answered 202 (still processing) without naming an unfinished "
                "interval before the end of the window; the next sync reads that window again.",
                failure_type=FailureType.transient_error,
            )
        logger.info(
            f"{stream}: LivePerson is still processing the intervals from {pending[0]}; this sync reads up to "
            "there and a later sync reads the rest."
        )
        start = stream_slice.get("start_time") if stream_slice else None
        if start is None or pending[0] <= start:
            return None
        return {"to": pending[0], "followed": ()}

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

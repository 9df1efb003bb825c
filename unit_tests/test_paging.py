"""The paginator on its own, under each reading of the method page: 202 bodies, a `to` at a boundary."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.answer import unfinished_interval_starts
from source_interval_metrics.components.paging import NextPageKeyPaginationStrategy

WINDOW = StreamSlice(
    partition={}, cursor_slice={"start_time": "2026-11-25T00:00:00Z", "end_time": "2026-11-25T00:59:59Z"}
)
SKILL_METRICS = "handleTime,workTime,arrivals,closedConversations"
URL = "https://va.agentactivity.liveperson.net/api/account/123456/interval-metrics?v=1&metrics=" + SKILL_METRICS


def answer(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body).encode())
    response.request = requests.Request("GET", URL).prepare()
    return response


def strategy() -> NextPageKeyPaginationStrategy:
    return NextPageKeyPaginationStrategy(
        config={}, parameters={"name": "skill_interval_metrics", "metrics": SKILL_METRICS}
    )


def quarter(minute: int) -> str:
    return f"2026-11-25T{minute // 60:02d}:{minute % 60:02d}:00Z"


def millis(minute: int) -> int:
    return 1795564800000 + minute * 60000  # 2026-11-25T00:00:00Z


# Each form a 202 may take, naming 00:00 done and 00:15 onwards unfinished.
FORMS = {
    "documented": [
        {"from": quarter(m), "fromL": millis(m), "to": quarter(m + 15), "toL": millis(m + 15), "status": s}
        for m, s in ((0, "Done"), (15, "In Progress"), (30, "In Progress"))
    ],
    "the page's own example, whose fromL contradicts from": [
        {"from": quarter(0), "fromL": millis(0), "status": "Done"},
        {"from": quarter(15), "fromL": millis(0), "status": "In Progress"},
    ],
    "milliseconds only": [
        {"fromL": millis(m), "toL": millis(m + 15), "status": s} for m, s in ((0, "Done"), (15, "In Progress"))
    ],
    "other status words": [
        {"from": quarter(m), "status": s} for m, s in ((0, "COMPLETED"), (15, "PROCESSING"), (30, "Pending"))
    ],
    "a status never seen before counts as unfinished": [
        {"from": quarter(m), "status": s} for m, s in ((0, "done"), (15, "Queued"))
    ],
    "nested timeframes, fractional seconds and offsets": [
        {"timeframe": {"from": "2026-11-25T01:00:00.000+01:00"}, "status": "Done"},
        {"timeframe": {"from": "2026-11-25T00:15:00.000Z"}, "status": "In Progress"},
    ],
}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_of_a_202_cuts_the_window_one_second_before_the_first_unfinished_interval(form: str) -> None:
    token = strategy().next_page_token(answer(202, {"intervals": FORMS[form]}), 0, None, stream_slice=WINDOW)
    assert token == {"to": "2026-11-25T00:14:59Z", "followed": ()}


def test_the_cut_short_window_keeps_its_end_on_every_page() -> None:
    cut = {"to": "2026-11-25T00:14:59Z", "followed": ()}
    page = answer(200, {"metadata": {"paging": {"nextPageKey": "k"}}, "intervals": []})
    following = strategy().next_page_token(page, 0, None, last_page_token_value=cut, stream_slice=WINDOW)
    assert following == {"pageKey": "k", "to": "2026-11-25T00:14:59Z", "followed": ("pageKey=k",)}


def test_a_window_whose_first_interval_is_unfinished_ends_without_another_request() -> None:
    body = {"intervals": [{"from": quarter(0), "status": "In Progress"}]}
    assert strategy().next_page_token(answer(202, body), 0, None, stream_slice=WINDOW) is None


def test_an_unfinished_interval_before_the_window_leaves_the_window_too() -> None:
    """Read as "overlapping, ends included", the answer names the interval ending where the window starts."""
    body = {"intervals": [{"from": "2026-11-24T23:45:00Z", "status": "In Progress"}, {"from": quarter(0)}]}
    assert strategy().next_page_token(answer(202, body), 0, None, stream_slice=WINDOW) is None


UNUSABLE = {
    "unfinished intervals only at or after the window's end": {
        "intervals": [{"from": quarter(0), "status": "Done"}, {"from": quarter(60), "status": "In Progress"}]
    },
    "every interval done": {"intervals": [{"from": quarter(0), "status": "Done"}]},
    "no list": {"message": "Some intervals are still being processed"},
    "a list without times": {"intervals": [{"status": "In Progress"}]},
    "not JSON": "Accepted",
}


@pytest.mark.parametrize("body", list(UNUSABLE))
def test_a_202_naming_nothing_unfinished_in_the_window_leaves_the_window_with_a_warning(
    body: str, pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    """The error handler has asked it again after LivePerson's pauses already; the paginator waits no more."""
    accepted = answer(202, b"Accepted" if body == "not JSON" else UNUSABLE[body])
    assert strategy().next_page_token(accepted, 0, None, stream_slice=WINDOW) is None
    assert pauses == []
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("skill_interval_metrics: LivePerson still answers 202 (still processing) for ")
    assert "the next sync reads it" in warning


def test_a_202_in_the_middle_of_a_window_s_pages_fails_the_window_rather_than_emit_it_twice() -> None:
    with pytest.raises(AirbyteTracedException, match="in the middle of a window's pages"):
        strategy().next_page_token(
            answer(202, {"intervals": [{"from": quarter(15), "status": "In Progress"}]}),
            0,
            None,
            last_page_token_value={"pageKey": "k", "followed": ("pageKey=k",)},
            stream_slice=WINDOW,
        )


def test_unfinished_interval_starts_says_none_when_no_interval_is_named() -> None:
    assert unfinished_interval_starts({"intervals": []}) is None
    assert unfinished_interval_starts({"intervals": [{"from": quarter(0), "status": "Done"}]}) == []

"""Get Status Changes (v2) as the simulator answers it: validation, window readings, order, offset paging, links."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from testkit.simulator.data import DAY, rfc3339
from testkit.simulator.status import changes_between, millis_of

if TYPE_CHECKING:
    from testkit.simulator.server import Settings, Simulator

PATH = "/api/v2/account/{account}/status-changes"
MONTH = 31 * DAY
NO_REASON = {"zero": (0, ""), "minus_one": (-1, None)}


class Refused(Exception):
    """A 400, with the API's message and causes."""

    def __init__(self, *causes: str, bare: bool = False) -> None:
        super().__init__(causes[0])
        self.body: dict[str, Any] = {"message": "Bad Request", **({} if bare else {"causes": list(causes)})}


def answer(sim: Simulator, account: str, query: dict[str, str], host: str) -> tuple[int, dict[str, Any]]:
    """The status and body of a status-changes request that is signed in, for the account it names."""
    s = sim.settings
    if not s.status_permission:
        return s.status_denial, {
            "reason": "oauth_problem=permission_denied",
            "message": "Unauthorized: the key lacks the Agent Status Changes permission",
        }
    try:
        start, end, offset, limit = _validated(query, time.time(), s)
    except Refused as error:
        return 400, error.body
    if query.get("v") != "2":  # v1: grouped per agent, at most 20 changes per agent and day (the rest dropped)
        return 200, {"agentsInfo": []}
    found = [record for record in _visible(sim, start, end) if _inside(record, start, end, s.status_window)]
    found = _ordered(found, s.status_order, query)
    page = [_as_sent(record, s) for record in found[offset : offset + limit]]
    more = offset + limit < len(found) if s.status_paging_end == "no_next" else bool(page)
    path = PATH.format(account=account)
    kept = {k: v for k, v in query.items() if k not in ("offset", "limit", "v")}
    if s.status_link == "with_v":
        kept["v"] = "2"
    scheme_host = f"https://{account}.agentactivity.example.net" if s.status_link == "other_host" else f"http://{host}"

    def href(at: int) -> str:
        return f"{scheme_host}{path}?{urlencode({**kept, 'offset': str(at), 'limit': str(limit)})}"

    references = [{"rel": "self", "href": href(offset)}, {"rel": "first", "href": href(0)}]
    if more:
        references.append({"rel": "next", "href": href(offset + limit)})
    millis = (lambda value: str(value)) if s.status_millis_as == "string" else (lambda value: value)
    sim.status_answered.append(query)
    return 200, {
        "_metadata": {"references": references},
        "timeframe": {
            "startTime": rfc3339(start // 1000),
            "endTime": rfc3339(end // 1000),
            "startTimeL": millis(start),
            "endTimeL": millis(end),
        },
        "stateChanges": page,
    }


def _validated(query: dict[str, str], now: float, s: Settings) -> tuple[int, int, int, int]:
    if not query.get("source"):
        raise Refused("source: must not be empty")
    if len(query["source"]) > 20:
        raise Refused("source: must not exceed 20 characters")
    try:
        start, end = millis_of(query["from"]), millis_of(query["to"])
    except (KeyError, ValueError):
        raise Refused("from and to: RFC 3339 date-times are required") from None
    try:
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
    except ValueError:
        raise Refused("offset and limit must be numbers") from None
    causes = []
    if offset < 0:
        causes.append("offset: must be greater than or equal to 0")
    bare = False
    if not 1 <= limit <= s.status_max_limit:
        causes.append(f"limit: must be less than or equal to {s.status_max_limit}")
        bare = s.bare_refusals
    if end <= start:
        causes.append("to: must be later than from")
    if end - start > MONTH * 1000:
        causes.append("to: must be at most one month after from")
    oldest = now - s.status_history_days * DAY
    if start < oldest * 1000:
        causes.append(_too_old(oldest, s))
        bare = s.bare_refusals
    if causes:
        raise Refused(*causes, bare=bare)
    return start, end, offset, limit


def _too_old(oldest: float, s: Settings) -> str:
    if s.history_refusal == "time":
        return f"from: must not be before {rfc3339(int(oldest))}"
    if s.history_refusal == "unsaid":
        return "from: is outside the data retention period"
    return f"from: must be within the past {s.status_history_days:g} days"


def _visible(sim: Simulator, start: int, end: int) -> list[dict[str, Any]]:
    """The changes the API shows now: with `status_late_seconds`, every fifth shows up only that long after it."""
    late = sim.settings.status_late_seconds * 1000
    found = changes_between(sim.settings.account, start, end, closed=True)
    now = time.time() * 1000
    return [
        record
        for record in found
        if not late or (record["agentId"] + record["sequenceNumber"]) % 5 or millis_of(record["time"]) + late <= now
    ]


def _inside(record: dict[str, Any], start: int, end: int, reading: str) -> bool:
    at = millis_of(record["time"])
    if reading == "closed":
        return start <= at <= end
    if reading == "open_start":
        return start < at <= end
    return start <= at < end


def _ordered(found: list[dict[str, Any]], order: str, query: dict[str, str]) -> list[dict[str, Any]]:
    if order == "agent":
        return sorted(found, key=lambda record: (record["agentId"], record["time"], record["sequenceNumber"]))
    if order == "shuffled":  # the same order for every page of one window
        shuffled = list(found)
        random.Random(f"{query.get('from')}/{query.get('to')}").shuffle(shuffled)
        return shuffled
    return found


def _as_sent(record: dict[str, Any], s: Settings) -> dict[str, Any]:
    """The record in the settings' forms: how "no reason" is said, and ids sometimes as strings."""
    sent = dict(record)
    if not sent["statusReasonId"]:
        if s.status_reason_form == "absent":
            del sent["statusReasonId"], sent["statusReasonText"]
        else:
            sent["statusReasonId"], sent["statusReasonText"] = NO_REASON[s.status_reason_form]
    if sent["prevStatusChangeTime"] is None and (sent["statusType"] == 4 or sent["sequenceNumber"] == 1):
        del sent["prevStatusChangeTime"]  # missing on the logout and on the default state after login
    if s.string_ids and sent["agentId"] % 3 == 0:
        sent["agentId"] = str(sent["agentId"])
    return sent

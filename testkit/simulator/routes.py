"""The simulator's HTTP routes: Domain API, Sentinel token endpoint, Interval Metrics API and `/_admin`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from testkit.simulator import data, roster, status_api
from testkit.simulator.server import (
    FAULT_ANSWERS,
    MAX_WINDOW,
    RETENTION,
    decode_page_key,
    encode_page_key,
    link,
)

if TYPE_CHECKING:
    from testkit.simulator.server import Settings, Simulator

DOMAIN_ONE = re.compile(r"^/api/account/([^/]+)/service/([^/]+)/baseURI\.json$")
DOMAIN_ALL = re.compile(r"^/api/account/([^/]+)/service/baseURI\.json$")
METRICS = re.compile(r"^/api/account/([^/]+)/interval-metrics$")
STATUS_CHANGES = re.compile(r"^/api/v2/account/([^/]+)/status-changes$")
ROSTER = re.compile(r"^/api/account/([^/]+)/configuration/(le-users/[A-Za-z]+|le-agents/status-reasons)$")
TOKEN = re.compile(r"^/sentinel/api/v2/account/([^/]+)/app/token$")
DURATIONS = (15, 30, 60, 1440)


class BadRequest(Exception):
    """Answered as 400 with the message (and causes, when given), as the API does."""

    def __init__(self, message: str, causes: list[str] | None = None) -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {"message": message, **({"causes": causes} if causes else {})}


class Routes(BaseHTTPRequestHandler):
    sim: Simulator
    _under_way = False  # an Agent Activity request, counted until its answer starts out

    # --- plumbing -----------------------------------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else orjson.dumps(body)
        if self._under_way:  # before the answer goes out: the client cannot have sent its next request yet
            self._under_way = False
            self.sim.under_way(-1)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.sim.count(f"status:{status}")

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    # --- verbs --------------------------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = urlsplit(self.path).path
        if match := METRICS.match(path) or STATUS_CHANGES.match(path):
            self._under_way = True
            self.sim.under_way(+1)
            try:
                if match.re is METRICS:
                    return self._interval_metrics(match.group(1))
                return self._status_changes(match.group(1))
            finally:
                if self._under_way:  # a handler failed before answering: the request is no longer under way
                    self._under_way = False
                    self.sim.under_way(-1)
        if match := ROSTER.match(path):
            return self._roster(match.group(1), match.group(2))
        if match := DOMAIN_ONE.match(path):
            return self._domain(match.group(1), match.group(2))
        if match := DOMAIN_ALL.match(path):
            return self._domain(match.group(1), None)
        if path == "/_admin/stats":
            return self._send(200, dict(self.sim.stats))
        if path == "/_admin/truth":
            return self._truth()
        self._send(404, {"message": f"No route for GET {path}"})

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if match := TOKEN.match(path):
            return self._token(match.group(1))
        if path == "/_admin/settings":
            self.sim.update(**json.loads(self._body() or b"{}"))
            return self._send(200, {"ok": True})
        if path == "/_admin/revoke":
            self.sim.revoke_tokens()
            return self._send(200, {"ok": True})
        self._send(404, {"message": f"No route for POST {path}"})

    # --- Domain API and Sentinel --------------------------------------------------------------------------------

    def _domain(self, account: str, service: str | None) -> None:
        self.sim.count("domain")
        if account != self.sim.settings.account:
            return self._send(404, {"message": f"Account {account} not found"})
        entries = [{"service": s, "account": account, "baseURI": self.sim.host} for s in self.sim.settings.services]
        if service is None:
            return self._send(200, {"baseURIs": entries})
        found = [entry for entry in entries if entry["service"] == service]
        if not found:
            return self._send(404, {"message": f"Service {service} not found for account {account}"})
        self._send(200, found[0])

    def _token(self, account: str) -> None:
        self.sim.count("token")
        form = {k: v[-1] for k, v in parse_qs(self._body().decode()).items()}
        s = self.sim.settings
        if account != s.account:
            return self._send(404, {"error": "invalid_request", "error_description": "unknown account"})
        if form.get("grant_type") != "client_credentials":
            return self._send(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != s.client_id or form.get("client_secret") != s.client_secret:
            return self._send(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        self._send(200, {"access_token": self.sim.issue_token(), "token_type": "Bearer", "expires_in": s.token_ttl})

    # --- Interval Metrics -----------------------------------------------------------------------------------------

    def _interval_metrics(self, account: str) -> None:
        s = self.sim.settings
        self.sim.count("interval_metrics")
        if s.revoke_tokens_after and self.sim.stats["interval_metrics"] == s.revoke_tokens_after + 1:
            self.sim.revoke_tokens()
        denied = None if s.has_permission else "Forbidden: the key lacks the Workforce Management permission"
        if self._refused_before_answering(account, denied):
            return None
        query = self._query()
        self.sim.requests.append(query)
        try:
            request = _validated(query, account, time.time(), s)
        except BadRequest as error:
            return self._send(400, error.body)
        starts = _covered(request, s.timeframe_reading)
        done_before = time.time() - s.processing_delay
        self.sim.answered.append(query)
        if any(start + starts.step > done_before for start in starts):
            self.sim.count("accepted")
            return self._send(202, _accepted(starts, done_before, s.accepted_body))
        try:
            page = _page(self.sim, request, query, starts)
        except BadRequest as error:
            return self._send(400, error.body)
        if self.sim.page_without_intervals(urlsplit(self.path).query):
            self.sim.count("pages_without_intervals")
            return self._send(200, {"metadata": page["metadata"]})
        self.sim.count("pages")
        self._send(200, page)

    def _status_changes(self, account: str) -> None:
        self.sim.count("status_changes")
        if self._refused_before_answering(account):
            return None
        query = self._query()
        self.sim.status_requests.append(query)
        self._send(*status_api.answer(self.sim, account, query, self.headers.get("Host", self.sim.host)))

    def _roster(self, account: str, method: str) -> None:
        s = self.sim.settings
        kind = roster.KINDS.get(method)
        self.sim.count(f"roster:{kind}")
        query = self._query()
        self.sim.roster_requests.append((str(kind), query))
        problem = self.sim.authorized(
            "GET", f"http://{self.headers.get('Host', self.sim.host)}{self.path}", dict(self.headers)
        )
        if problem:
            return self._send(401, {"message": f"Unauthorized: {problem}"})
        if account != s.account:
            return self._send(403, {"message": f"Invalid Account id {account}"})
        if kind is None:
            return self._send(404, {"message": f"No such method {method}"})
        if kind in s.roster_denied:
            return self._send(s.roster_denial, {"message": f"Forbidden: the application may not read {method}"})
        self._send(200, roster.answer(kind, query, account, s), {"ac-revision": "42"})

    def _refused_before_answering(self, account: str, denied: str | None = None) -> bool:
        """After the settings' latency, whether the request was answered already: unsigned (401), for another account
        or `denied` (403), or with the next fault (429, 5xx)."""
        s = self.sim.settings
        if s.latency:
            time.sleep(s.latency)
        problem = self.sim.authorized(
            "GET", f"http://{self.headers.get('Host', self.sim.host)}{self.path}", dict(self.headers)
        )
        if problem:
            self._send(401, {"message": f"Unauthorized: {problem}"})
        elif account != s.account or denied:
            self._send(403, {"message": f"Invalid Account id {account}" if account != s.account else denied})
        elif fault := self.sim.next_fault():
            headers = {"Retry-After": str(s.retry_after)} if fault == 429 else {}
            self._send(fault, {"message": FAULT_ANSWERS.get(fault, "Error")}, headers)
        else:
            return False
        return True

    def _truth(self) -> None:
        query = self._query()
        entries = self.sim.entries(
            query.get("grouping", "skill"),
            int(query["start"]),
            int(query["end"]),
            int(query.get("intervalDuration", 15)),
            query.get("handleTimeModel", "IFT"),
            query.get("includeBotSkills", "false") == "true",
        )
        self._send(200, {"entries": entries})


def epoch(value: str, name: str) -> int:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid {name}: expected an RFC 3339 date-time, got '{value}'") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"Invalid {name}: a time zone is required")
    return int(parsed.timestamp())


def _integer(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise BadRequest(f"Invalid {name}: '{query[name]}' is not a number") from None


def _validated(query: dict[str, str], account: str, now: float, s: Settings) -> dict[str, Any]:
    """The request, or BadRequest with the API's message."""
    for required in ("v", "source", "handleTimeModel", "metrics"):
        if not query.get(required):
            raise BadRequest(f"Missing required parameter: {required}")
    if query["v"] != "1":
        raise BadRequest(f"Unsupported API version v={query['v']}; supported: 1")
    if len(query["source"]) > 20:
        raise BadRequest("source must not exceed 20 characters")
    if query["handleTimeModel"] not in ("IFT", "EHT"):
        raise BadRequest(f"Invalid handleTimeModel '{query['handleTimeModel']}'; supported: IFT, EHT")
    grouping = query.get("grouping", "skill")
    dimensions = grouping.split(",")
    if not set(dimensions) <= set(data.GROUPINGS) or len(set(dimensions)) != len(dimensions):
        raise BadRequest(f"Invalid grouping '{grouping}'; supported: any of {', '.join(data.GROUPINGS)}, once each")
    allowed = data.BASE_METRICS + (data.SKILL_ONLY_METRICS if grouping == "skill" else ())
    metrics = query["metrics"].split(",")
    refused = [metric for metric in metrics if grouping == "skill" and metric in s.skill_metrics_refused]
    if refused:
        raise BadRequest("Invalid request", [f"{refused[0]} is available only with a skillId filter"])
    for metric in metrics:
        if metric not in allowed:
            raise BadRequest(f"Invalid metric '{metric}' for grouping '{grouping}'; supported: {', '.join(allowed)}")
    duration = _integer(query, "intervalDuration", 15)
    if duration not in DURATIONS:
        raise BadRequest(f"Invalid intervalDuration {duration}; supported: 15, 30, 60, 1440")
    page_size = _integer(query, "limit" if "limit" in query else "pageSize", 100)
    if not 1 <= page_size <= 500:
        raise BadRequest(f"Invalid pageSize {page_size}; it must be between 1 and 500")
    bots = query.get("includeBotSkills", "false")
    if bots not in ("true", "false"):
        raise BadRequest(f"Invalid includeBotSkills '{bots}'; expected true or false")
    start, end = _window(query)
    if start < now - RETENTION:
        raise BadRequest("Bad Request" if s.bare_refusals else "from must be within the past two weeks")
    if s.history_hours and start < now - s.history_hours * 3600:
        raise (
            BadRequest("Bad Request") if s.bare_refusals else BadRequest("Invalid request", [_history_refusal(now, s)])
        )
    if end <= start:
        raise BadRequest("to must be later than from")
    if end - start > MAX_WINDOW:
        raise BadRequest("The requested timeframe must not exceed one day (to <= from + 1 day)")
    return {
        "grouping": grouping,
        "metrics": metrics,
        "duration": duration,
        "page_size": page_size,
        "bots": bots == "true",
        "model": query["handleTimeModel"],
        "start": start,
        "end": end,
    }


def _history_refusal(now: float, s: Settings) -> str:
    """The cause of a 400 for a `from` older than a history shorter than the documented 14 days."""
    if s.history_refusal == "time":
        return f"from must not be before {data.rfc3339(int(now - s.history_hours * 3600))}"
    if s.history_refusal == "unsaid":
        return "from is outside the data retention period"
    hours = s.history_hours
    return f"from must be within the past {hours / 24:g} days" if hours % 24 == 0 else f"from: within {hours:g} hours"


def _window(query: dict[str, str]) -> tuple[int, int]:
    iso = "from" in query or "to" in query
    millis = "fromL" in query or "toL" in query
    if iso == millis:
        raise BadRequest("Exactly one pair of parameters must be given: either from & to, or fromL & toL")
    if iso:
        if not query.get("from") or not query.get("to"):
            raise BadRequest("Both from and to are required")
        return epoch(query["from"], "from"), epoch(query["to"], "to")
    try:
        return int(query["fromL"]) // 1000, int(query["toL"]) // 1000
    except (KeyError, ValueError):
        raise BadRequest("Both fromL and toL are required, in milliseconds from epoch") from None


def _covered(request: dict[str, Any], reading: str) -> range:
    """The starts of the intervals a request's timeframe covers, under the settings' reading of `from` and `to`."""
    length = request["duration"] * 60
    first = request["start"] - request["start"] % length
    if reading == "touching" and request["start"] % length == 0:
        first -= length  # the interval that ends exactly at `from`
    stop = request["end"] + 1 if reading in ("overlap_with_to", "touching") else request["end"]
    return range(first, stop, length)


def _accepted(starts: range, done_before: float, form: str) -> dict[str, Any]:
    """The 202 body, in the settings' form."""
    if form == "unusable":
        return {"message": "Some intervals are still being processed; retry later"}
    words = {"other_words": ("COMPLETED", "PROCESSING")}.get(form, ("Done", "In Progress"))
    statuses = []
    for start in starts:
        status = words[0] if start + starts.step <= done_before else words[1]
        times = data.timeframe(start, start + starts.step)
        if form == "millis_only":
            times = {"fromL": times["fromL"], "toL": times["toL"]}
        statuses.append({**times, "status": status})
    return {"intervals": statuses}


def _fingerprint(query: dict[str, str]) -> str:
    kept = sorted((k, v) for k, v in query.items() if k not in ("pageKey", "offset", "limit"))
    return hashlib.sha1(repr(kept).encode()).hexdigest()[:12]


def _with_string_ids(entry: dict[str, Any]) -> dict[str, Any]:
    entry = dict(entry)
    if entry.get("skillId") == 102:
        entry["skillId"] = "102"
    if entry.get("agentGroupId") == 12:
        entry["agentGroupId"] = "12"
    if isinstance(entry.get("agentId"), int) and entry["agentId"] % 3 == 0:
        entry["agentId"] = str(entry["agentId"])
    return entry


def _page(sim: Simulator, request: dict[str, Any], query: dict[str, str], starts: range) -> dict[str, Any]:
    s = sim.settings
    entries = sim.entries(
        request["grouping"], starts.start, starts.stop, request["duration"], request["model"], request["bots"]
    )
    size, fingerprint = request["page_size"], _fingerprint(query)
    if "pageKey" in query:
        try:
            offset, expected = decode_page_key(query["pageKey"])
        except (ValueError, TypeError):
            raise BadRequest("Invalid pageKey") from None
        if expected != fingerprint:
            raise BadRequest("pageKey does not belong to this query")
    else:
        offset = int(query.get("offset", 0))
    page = offset // size

    def is_empty(number: int) -> bool:
        every = s.empty_page_every
        return (s.empty_first_page and number == 0) or (bool(every) and number % every == every - 1)

    start = sum(not is_empty(number) for number in range(page)) * size
    empty = is_empty(page)
    chunk = [] if empty else entries[start : start + size]
    has_next = start < len(entries) if empty else start + size < len(entries)
    next_offset = offset + size
    if empty and has_next and sim.links_to_itself(f"{fingerprint}:{offset}"):
        next_offset = offset  # "not ready yet, ask again"
    metrics = set(request["metrics"])
    intervals = []
    for entry in chunk:
        entry = {**entry, "metrics": {k: v for k, v in entry["metrics"].items() if k in metrics}}
        intervals.append(_with_string_ids(entry) if s.string_ids else entry)
    path = f"/api/account/{s.account}/interval-metrics"
    paging: dict[str, Any] = {"pageSize": size}
    if s.paging == "refs":
        base = {k: v for k, v in query.items() if k not in ("pageKey", "offset", "limit", "pageSize", "from", "to")}
        base.update(fromL=str(request["start"] * 1000), toL=str(request["end"] * 1000))
        paging = {
            "limit": size,
            "offset": offset,
            "refs": {
                "first": link(path, {**base, "limit": str(size), "offset": "0"}),
                "current": link(path, {**base, "limit": str(size), "offset": str(offset)}),
            },
        }
        if has_next:
            paging["refs"]["next"] = link(path, {**base, "limit": str(size), "offset": str(next_offset)})
    else:
        if "pageKey" in query:
            paging["pageKey"] = query["pageKey"]
        if has_next:
            paging["nextPageKey"] = encode_page_key(next_offset, fingerprint)
    return {
        "metadata": {
            "v": 1,
            "timeframe": data.timeframe(request["start"], request["end"]),
            "paging": paging,
            "query": {
                "intervalDuration": request["duration"],
                "grouping": request["grouping"],
                "handleTimeModel": request["model"],
            },
            "filters": {},
            "count": len(intervals),
        },
        "intervals": intervals,
    }

"""A local HTTP simulator of LivePerson's Domain API, Sentinel token service and Interval Metrics API.

It follows `interval-metrics-api.txt` and `liveperson-platform.md`: the documented validation (400 with a
message), overlapping answers, paging by opaque `nextPageKey` or by `refs.next` (limit/offset) with empty pages,
ids sometimes sent as strings, 202 while an interval is still In Progress, 429/500/503 faults, expiring OAuth 2.0
tokens and OAuth 1.0a HMAC-SHA1 signatures. Where the method page can be read two ways, `Settings` has one value
per reading. `/_admin/*` exposes ground truth, counters and settings to tests.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from testkit.simulator import data, status

API_PATH = "/api/account/{account}/interval-metrics"
RETENTION = 14 * data.DAY
MAX_WINDOW = data.DAY
FAULT_ANSWERS = {
    400: "The requested timeframe is not valid",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


@dataclass
class Settings:
    """What the simulated account looks like and how its API behaves; tests change it through `/_admin/settings`."""

    account: str = "123456"
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    services: tuple[str, ...] = ("agentActivityDomain", "sentinel", "accountConfigReadOnly")
    token_ttl: int = 3600
    has_permission: bool = True
    conversations_per_day: int = 400
    paging: str = "nextPageKey"  # or "refs": only metadata.paging.refs.next, by limit/offset
    empty_page_every: int = 3  # every n-th page of a window is empty but still points to the next one (0: never)
    string_ids: bool = True  # some skill, agent group and agent ids are sent as strings, as in the docs
    processing_delay: float = 0.0  # seconds after its end during which an interval is still In Progress
    fault_rates: dict[int, float] = field(default_factory=dict)  # e.g. {429: 0.05, 503: 0.02}
    fault_sequence: list[int] = field(default_factory=list)  # answered, in order, before anything else
    retry_after: int = 1
    latency: float = 0.0  # seconds added to every interval-metrics request
    revoke_tokens_after: int = 0  # revoke every token once, when this many interval-metrics requests were served
    fault_seed: int = 7
    # Where the method page can be read two ways, one setting per reading (the defaults are the connector's own):
    # which intervals a timeframe covers: "overlap" (those overlapping [from, to)), "overlap_with_to" (also the one
    # starting exactly at `to`), "touching" (also the one ending exactly at `from`);
    timeframe_reading: str = "overlap"
    # the 202 body: "documented" (from/fromL/to/toL/status), "millis_only", "other_words" (COMPLETED/PROCESSING),
    # "unusable" (no list of intervals);
    accepted_body: str = "documented"
    # Skill-only metrics refused with grouping skill (as if they needed a skillId filter): each 400 names the first
    # one the request asks for, as a cause, so refusing two takes two answers.
    skill_metrics_refused: tuple[str, ...] = ()
    # share of requests whose first 200 has no `intervals` array; asked again, they get the page (so the retry mends it)
    pages_without_intervals: float = 0.0
    # how often an empty page (refs paging) names itself as `refs.next` ("not ready, ask again") before moving on
    self_linked_empty_pages: int = 0
    # the first page of every window is empty (and still points on), so an empty page may come before any record
    empty_first_page: bool = False
    # hours of history the API keeps (0: the documented 14 days); an older `from` is refused with a 400 whose cause
    # names `from` and the limit, as a duration ("within the past 20 hours"), as a time ("not before <RFC 3339>") or
    # not at all ("unsaid": "outside the data retention period")
    history_hours: float = 0.0
    history_refusal: str = "duration"  # also how a too old `from` for status changes is refused
    # a too old `from` (either method) and a too large `limit` refused with a 400 that says only "Bad Request"
    bare_refusals: bool = False
    # Agent status changes (Get Status Changes, v2); where its page leaves a point open, one setting per reading:
    status_permission: bool = True  # the key has Data > Workforce Management > Agent Status Changes
    status_denial: int = 401  # how a key without it is refused: 401 (as documented) or 403
    status_window: str = "half_open"  # which changes a window holds: [from, to); "closed": [from, to]; "open_start"
    status_order: str = "time"  # "agent": by agent, then time; "shuffled": no order
    status_paging_end: str = "no_next"  # "empty_page": the last page with records names a next page, which is empty
    status_link: str = "published"  # `next` as published (http://host, no `v`); "with_v"; "other_host"
    status_max_limit: int = 5000  # the largest `limit` (a larger one is refused with a 400 naming it)
    status_history_days: float = 183  # how far back `from` may go (older revisions: 13 months)
    status_reason_form: str = "zero"  # no reason as 0 and ""; "minus_one": -1 and null; "absent": no fields
    status_millis_as: str = "string"  # the timeframe's `*L` as strings or numbers
    status_late_seconds: int = 0  # every fifth change shows up only this long after it happened
    # The roster (Account Configuration API); where its pages disagree, one setting per form (roster.py):
    roster_values: str = "typed"  # "strings": ids, counts and booleans as strings, nested ones too
    roster_member_of: str = "object"  # "list": a one-element list
    roster_reason_text: str = "text"  # "name": a status reason's text sent as `name`
    roster_state_case: str = "title"  # a status reason's state as "Away"; "upper", "lower"
    roster_denied: tuple[str, ...] = ()  # roster streams the application may not read ("users": no users.external)
    roster_denial: int = 403  # how they are refused: 403, or 401
    roster_extra_users: int = 0  # more agents, for a large account


class Simulator:
    """Runs the simulated LivePerson hosts on 127.0.0.1 (or `address`); `url` serves the Domain API and every host."""

    def __init__(self, settings: Settings | None = None, port: int = 0, address: str = "127.0.0.1") -> None:
        self.settings = settings or Settings()
        self.stats: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.status_requests: list[dict[str, Any]] = []
        self.roster_requests: list[tuple[str, dict[str, str]]] = []  # (kind, query) of each roster request
        self._tokens: dict[str, float] = {}
        self.issued_tokens: list[str] = []
        self._lock = threading.Lock()
        self._faults = random.Random(self.settings.fault_seed)
        self._shapes = random.Random(self.settings.fault_seed)
        self._shapeless: set[str] = set()
        self._self_links: Counter[str] = Counter()
        self.answered: list[dict[str, Any]] = []  # the interval-metrics queries answered 200 or 202
        self.status_answered: list[dict[str, Any]] = []  # the status-changes queries answered 200
        self._under_way = 0  # Agent Activity requests received and not yet answered
        self._server = ThreadingHTTPServer((address, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        address, port = self._server.server_address[:2]
        return f"{address!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> Simulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def update(self, **changes: Any) -> None:
        with self._lock:
            if "fault_rates" in changes:
                changes["fault_rates"] = {int(k): float(v) for k, v in changes["fault_rates"].items()}
            self.settings = dataclasses.replace(self.settings, **changes)

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # --- ground truth -------------------------------------------------------------------------------------------

    def entries(
        self,
        grouping: str,
        start: int,
        end: int,
        interval_minutes: int = 15,
        handle_time_model: str = "IFT",
        include_bot_skills: bool = False,
    ) -> list[dict[str, Any]]:
        """The API's entries for the intervals that start in [start, end), ids as numbers (do not change them)."""
        return list(
            data.interval_metrics(
                self.settings.account,
                grouping,
                interval_minutes,
                handle_time_model,
                include_bot_skills,
                start,
                end,
                self.settings.conversations_per_day,
            )
        )

    def status_changes(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Every status change with `start_ms` <= time < `end_ms`, in the API's v2 form with every field present, as
        the API will show it once late changes have shown up (do not change them)."""
        return status.changes_between(self.settings.account, start_ms, end_ms)

    # --- request handling ---------------------------------------------------------------------------------------

    def count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1

    def under_way(self, change: int) -> None:
        """One Agent Activity request more (+1) or fewer (-1) under way; `stats['most_under_way']` keeps the most."""
        with self._lock:
            self._under_way += change
            self.stats["most_under_way"] = max(self.stats["most_under_way"], self._under_way)

    def next_fault(self) -> int | None:
        with self._lock:
            if self.settings.fault_sequence:
                return self.settings.fault_sequence.pop(0)
            draw = self._faults.random()
            for status, rate in sorted(self.settings.fault_rates.items()):
                if draw < rate:
                    return status
                draw -= rate
        return None

    def page_without_intervals(self, request_key: str) -> bool:
        """Whether this answer lacks `intervals`: drawn the first time a request is asked, never twice for one."""
        with self._lock:
            if request_key in self._shapeless or self._shapes.random() >= self.settings.pages_without_intervals:
                return False
            self._shapeless.add(request_key)
            return True

    def links_to_itself(self, page: str) -> bool:
        """Whether this empty page names itself once more ("ask again") rather than the next page."""
        with self._lock:
            self._self_links[page] += 1
            return self._self_links[page] <= self.settings.self_linked_empty_pages

    def issue_token(self) -> str:
        token = "sim." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.time() + self.settings.token_ttl
            self.issued_tokens.append(token)
        return token

    def authorized(self, method: str, url: str, headers: dict[str, str]) -> str | None:
        """None when the request is signed in, else why not."""
        value = headers.get("Authorization", "")
        if value.startswith("Bearer "):
            expires = self._tokens.get(value[7:])
            if expires is None:
                return "unknown or revoked token"
            return None if expires > time.time() else "token expired"
        if value.startswith("OAuth "):
            return "OAuth 1.0 API keys reached end of life on 2026-05-31"
        return "missing Authorization header"


def _handler_for(simulator: Simulator) -> type[BaseHTTPRequestHandler]:
    from testkit.simulator.routes import Routes

    class Handler(Routes, BaseHTTPRequestHandler):
        sim = simulator
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def encode_page_key(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset, fingerprint]).encode()).decode().rstrip("=")


def decode_page_key(key: str) -> tuple[int, str]:
    offset, fingerprint = json.loads(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)))
    return int(offset), str(fingerprint)


def link(path: str, query: dict[str, str]) -> str:
    return f"{path}?{urlencode(query)}"

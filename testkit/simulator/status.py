"""The simulated account's agent status changes, from the same agents and shifts as its interval metrics.

Each agent works one shift a day (night-shift agents across midnight UTC): a login and its default Online state on
the same millisecond, changes among Online (the longer stretches), Occupied and Away (with and without a custom away
reason), then an Offline change and the logout on the same millisecond. Conversations are worked only while Online
(`online_seconds`, which the interval metrics are made from). Some changes fall exactly on a whole hour, so that windows
starting on the hour have a change on their boundary. Records are the API's v2 form with every field present.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache, partial
from typing import Any

from testkit.simulator.data import DAY, _seed, agents

REASONS = {1: "Lunch", 2: "Training", 3: "Coaching", 4: "Meeting", 5: "Technical issue"}
SHIFT_STARTS = {11: 7, 12: 12, 13: 21}  # agent group -> usual login hour (UTC)
LOGIN, LOGOUT, CHANGE = 3, 4, 1
OFFLINE, ONLINE, OCCUPIED, AWAY = 1, 2, 3, 4


def time_text(millis: int) -> str:
    moment = dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


@lru_cache(maxsize=128)
def changes_of_day(account: str, day: dt.date) -> tuple[dict[str, Any], ...]:
    """The changes of the shifts that start on `day` (UTC), as the API's v2 records (callers must not change them)."""
    midnight = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()) * 1000
    changes: list[dict[str, Any]] = []
    roster = agents(account)
    on_the_boundaries = next(agent for agent in roster if agent.group_id == 13)  # at 21:00 and midnight every day
    for agent in roster:
        rng = random.Random(_seed(account, "status", agent.id, day.isoformat()))
        if rng.random() < 0.15 and agent is not on_the_boundaries:
            continue  # a day off
        on_the_hour = rng.random() < 0.2 or agent is on_the_boundaries
        at = midnight + SHIFT_STARTS[agent.group_id] * 3_600_000
        at += 0 if on_the_hour else rng.randrange(-1_800_000, 1_800_000)
        session = 30_000_000 + rng.randrange(10_000_000)
        base = {
            "agentId": agent.id,
            "employeeId": f"e{agent.id % 100000:05d}" if agent.id % 4 else "",
            "agentLoginName": agent.login,
            "agentUserName": agent.login.split("@")[0],
            "agentGroupId": agent.group_id,
        }

        change = partial(_record, changes, base, session)
        change(LOGIN, 0, -1, at, None)
        change(CHANGE, ONLINE, 1, at, None)
        previous, sequence, state = at, 2, ONLINE
        for _ in range(rng.randrange(12, 30)):
            whole_hour = rng.random() < 0.08
            at += rng.randrange(600_000, 3_000_000) if state == ONLINE else rng.randrange(120_000, 900_000)
            if agent is on_the_boundaries and previous < midnight + DAY * 1000 < at:
                at = midnight + DAY * 1000
            elif whole_hour:
                at = -(-at // 3_600_000) * 3_600_000
            state = rng.choice([s for s in (ONLINE, OCCUPIED, AWAY) if s != state])
            reason = rng.choice([0, *REASONS]) if state == AWAY else 0
            change(CHANGE, state, sequence, at, previous, reason)
            previous, sequence = at, sequence + 1
        if agent is on_the_boundaries and at < midnight + DAY * 1000:
            at, state = midnight + DAY * 1000, ONLINE if state != ONLINE else OCCUPIED
            change(CHANGE, state, sequence, at, previous)
            previous, sequence = at, sequence + 1
        at += rng.randrange(60_000, 1_800_000)
        change(CHANGE, OFFLINE, sequence, at, previous)
        change(LOGOUT, 0, sequence + 1, at, None)
    return tuple(changes)


@lru_cache(maxsize=64)
def online_seconds(account: str, day: dt.date) -> dict[tuple[int, int], int]:
    """Whole seconds each agent is Online in each 15-minute interval of `day` (UTC), keyed by (agent id, interval
    start in epoch seconds): the shifts of that day and of the day before (night shifts cross midnight)."""
    start = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()) * 1000
    end = start + DAY * 1000
    by_agent: dict[int, list[dict[str, Any]]] = {}
    for record in changes_of_day(account, day - dt.timedelta(days=1)) + changes_of_day(account, day):
        by_agent.setdefault(record["agentId"], []).append(record)
    millis: dict[tuple[int, int], int] = {}
    for agent_id, changes in by_agent.items():
        changes.sort(key=lambda record: (millis_of(record["time"]), record["sequenceNumber"]))
        for change, after in zip(changes, changes[1:], strict=False):
            if (change["statusType"], change["statusSubType"]) != (CHANGE, ONLINE):
                continue
            since, until = max(millis_of(change["time"]), start), min(millis_of(after["time"]), end)
            while since < until:
                quarter = since - since % 900_000
                piece = min(until, quarter + 900_000) - since
                millis[(agent_id, quarter // 1000)] = millis.get((agent_id, quarter // 1000), 0) + piece
                since += piece
    return {key: value // 1000 for key, value in millis.items() if value >= 1000}


def _record(
    changes: list[dict[str, Any]],
    base: dict[str, Any],
    session: int,
    kind: int,
    sub: int,
    sequence: int,
    when: int,
    prev: int | None,
    reason: int = 0,
) -> None:
    changes.append(
        {
            **base,
            "time": time_text(when),
            "sessionId": session if sequence > 1 else -1,
            "sequenceNumber": sequence,
            "statusType": kind,
            "statusSubType": sub,
            "statusReasonId": reason,
            "statusReasonText": REASONS.get(reason, ""),
            "prevStatusChangeTime": time_text(prev) if prev is not None else None,
        }
    )


def changes_between(account: str, start_ms: int, end_ms: int, closed: bool = False) -> list[dict[str, Any]]:
    """The changes with `start_ms` <= time < `end_ms` (<= when `closed`), in time order."""
    first = dt.datetime.fromtimestamp(start_ms / 1000 - DAY, dt.UTC).date()
    last = dt.datetime.fromtimestamp(end_ms / 1000, dt.UTC).date()
    found = []
    day = first
    while day <= last:
        for record in changes_of_day(account, day):
            at = millis_of(record["time"])
            if start_ms <= at < end_ms or (closed and at == end_ms):
                found.append(record)
        day += dt.timedelta(days=1)
    return sorted(found, key=lambda record: (record["time"], record["agentId"], record["sequenceNumber"]))


def millis_of(text: str) -> int:
    return round(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)

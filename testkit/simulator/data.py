"""Deterministic contact-centre activity for the simulated account, and the interval metrics it adds up to.

Activity is generated per UTC day from a seed, as 15-minute segments of conversations; any interval length,
grouping and handle-time model is an aggregation of those segments, so the ground truth of any window is exact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

QUARTER = 900  # seconds in the 15-minute grain every interval length is built from
DAY = 86400

SKILLS = {101: "Tech Support", 102: "Sales", 103: "Billing", 104: "Retention", 190: "Virtual Assistant"}
BOT_SKILL = 190
SKILL_WEIGHTS = {101: 0.4, 102: 0.25, 103: 0.2, 104: 0.15}
AGENT_GROUPS = {11: "Tier 1", 12: "Tier 2", 13: "Night Shift"}
FIRST_NAMES = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena"]
LAST_NAMES = ["Smith", "Okafor", "Silva", "Kowalski", "Tanaka", "Moreau", "Novak", "Haddad"]
# Share of a day's conversations that arrive in each UTC hour: quiet nights, busy late mornings.
HOURLY_PROFILE = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 10, 11, 10, 9, 8, 6, 5, 4, 3, 2, 1]

GROUPINGS = ("skill", "agentGroup", "agent", "conversation")
BASE_METRICS = (
    "handleTime",
    "handledConversations",
    "repliedConversations",
    "consumerMessages",
    "agentMessages",
    "workTime",
)
SKILL_ONLY_METRICS = ("arrivals", "closedConversations")


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    login: str
    group_id: int
    skill_id: int


@dataclass(frozen=True)
class Segment:
    """One conversation's activity within one 15-minute interval."""

    start: int  # epoch seconds, a multiple of QUARTER
    conversation_id: str
    skill_id: int
    agent_id: int | None  # None for a bot-only conversation
    ift: int
    eht: int
    work_time: int
    replied: int
    consumer_messages: int
    agent_messages: int
    arrival: int
    closed: int


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big")


@lru_cache(maxsize=16)
def agents(account: str, count: int = 36) -> tuple[Agent, ...]:
    rng = random.Random(_seed(account, "agents"))
    roster = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        agent_id = 4_000_000 + 1000 * index + rng.randrange(1000)
        skill_id = list(SKILL_WEIGHTS)[index % len(SKILL_WEIGHTS)]
        group_id = 13 if index % 6 == 5 else (11 if index % 2 == 0 else 12)
        login = f"{first}.{last}{index}@brand.example".lower()
        roster.append(Agent(agent_id, f"{first} {last}", login, group_id, skill_id))
    return tuple(roster)


WORKABLE = 30  # seconds Online left in an interval for an agent to take a conversation into it


@lru_cache(maxsize=64)
def segments_of_day(account: str, day: dt.date, conversations_per_day: int) -> tuple[Segment, ...]:
    """Segments of the conversations that arrived on `day` (UTC), in one world with the status changes: a conversation
    goes to an agent of its skill who is Online when it arrives (else any agent who is, else the bot), is worked only
    in intervals where that agent still has time Online, and ends by midnight. An agent's work time in an interval
    never exceeds their time Online in it (their conversations share it), and handle time never exceeds work time."""
    from testkit.simulator.status import online_seconds  # the status changes are made from the same agents

    rng = random.Random(_seed(account, day.isoformat(), conversations_per_day))
    midnight = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
    left = dict(online_seconds(account, day))  # seconds Online not worked yet, per (agent, interval start)
    roster = agents(account)
    by_skill = {skill: [a for a in roster if a.skill_id == skill] for skill in SKILL_WEIGHTS}
    total = sum(HOURLY_PROFILE)
    segments: list[Segment] = []
    for hour, weight in enumerate(HOURLY_PROFILE):
        for number in range(round(conversations_per_day * weight / total)):
            arrival = midnight + hour * 3600 + rng.randrange(3600)
            conversation_id = f"{hashlib.md5(f'{account}{arrival}{number}'.encode()).hexdigest()[:8]}-{number:04d}"
            first = arrival - arrival % QUARTER
            bot_only = rng.random() < 0.12
            skill_id = rng.choices(list(SKILL_WEIGHTS), weights=list(SKILL_WEIGHTS.values()))[0]
            available = [a.id for a in by_skill[skill_id] if left.get((a.id, first), 0) >= WORKABLE] or [
                a.id for a in roster if left.get((a.id, first), 0) >= WORKABLE
            ]
            pick = rng.random()
            agent_id = None if bot_only or not available else available[int(pick * len(available))]
            skill_id = BOT_SKILL if agent_id is None else skill_id
            starts = [first + index * QUARTER for index in range(rng.choice((1, 1, 2, 2, 3, 4)))]
            starts = [start for start in starts if start < midnight + DAY]
            if agent_id is not None:
                workable = {start for start in starts if left.get((agent_id, start), 0) >= WORKABLE}
                starts = list(itertools.takewhile(workable.__contains__, starts))
            for index, start in enumerate(starts):
                ift, extra = rng.randrange(30, 600), rng.randrange(0, 180)
                work = 0
                if agent_id is not None:
                    work = min(ift + extra, left[(agent_id, start)])
                    left[(agent_id, start)] -= work
                ift = min(ift, work)
                segments.append(
                    Segment(
                        start=start,
                        conversation_id=conversation_id,
                        skill_id=skill_id,
                        agent_id=agent_id,
                        ift=ift,
                        eht=int(ift * rng.uniform(0.55, 0.95)),
                        work_time=work,
                        replied=0 if agent_id is None else int(rng.random() < 0.8),
                        consumer_messages=rng.randrange(1, 9),
                        agent_messages=0 if agent_id is None else rng.randrange(0, 11),
                        arrival=int(index == 0),
                        closed=int(index == len(starts) - 1),
                    )
                )
    return tuple(segments)


def segments_between(account: str, start: int, end: int, conversations_per_day: int) -> Iterable[Segment]:
    """Segments whose 15-minute interval starts in [start, end)."""
    day = dt.datetime.fromtimestamp(start, dt.UTC).date() - dt.timedelta(days=1)
    last_day = dt.datetime.fromtimestamp(end, dt.UTC).date()
    while day <= last_day:
        for segment in segments_of_day(account, day, conversations_per_day):
            if start <= segment.start < end:
                yield segment
        day += dt.timedelta(days=1)


@lru_cache(maxsize=512)
def interval_metrics(
    account: str,
    grouping: str,
    interval_minutes: int,
    handle_time_model: str,
    include_bot_skills: bool,
    start: int,
    end: int,
    conversations_per_day: int,
) -> tuple[dict[str, object], ...]:
    """Entries, as the API nests them, for the intervals of `interval_minutes` that start in [start, end).

    Cached: every page of a window asks for the same entries. Callers must not change them.
    """
    roster = {a.id: a for a in agents(account)}
    length = interval_minutes * 60
    dimensions = grouping.split(",")
    totals: dict[tuple[int, tuple[int | str, ...]], dict[str, int]] = {}
    for segment in segments_between(account, start - start % length, end, conversations_per_day):
        if segment.skill_id == BOT_SKILL and not include_bot_skills:
            continue
        if segment.agent_id is None and {"agent", "agentGroup", "conversation"} & set(dimensions):
            continue  # a bot-only conversation has no agent, and LivePerson counts conversations by agents
        key = tuple(_dimension_key(dimension, segment, roster) for dimension in dimensions)
        interval = segment.start - segment.start % length
        if not start <= interval < end:
            continue
        total = totals.setdefault((interval, key), dict.fromkeys(BASE_METRICS + SKILL_ONLY_METRICS, 0))
        total["handleTime"] += segment.ift if handle_time_model == "IFT" else segment.eht
        total["handledConversations"] += int(segment.agent_id is not None)
        total["repliedConversations"] += segment.replied
        total["consumerMessages"] += segment.consumer_messages
        total["agentMessages"] += segment.agent_messages
        total["workTime"] += segment.work_time
        total["arrivals"] += segment.arrival
        total["closedConversations"] += segment.closed
    entries = []
    for (interval, key), metrics in sorted(totals.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        entry: dict[str, object] = {"timeframe": timeframe(interval, interval + length)}
        for dimension, value in zip(dimensions, key, strict=True):
            entry.update(_dimension_fields(dimension, value, roster, alone=len(dimensions) == 1))
        if grouping != "skill":
            metrics = {name: value for name, value in metrics.items() if name not in SKILL_ONLY_METRICS}
        entry["metrics"] = metrics
        entries.append(entry)
    return tuple(entries)


def _dimension_key(dimension: str, segment: Segment, roster: dict[int, Agent]) -> int | str:
    if dimension == "skill":
        return segment.skill_id
    if dimension == "conversation":
        return segment.conversation_id
    assert segment.agent_id is not None
    return segment.agent_id if dimension == "agent" else roster[segment.agent_id].group_id


def _dimension_fields(dimension: str, key: int | str, roster: dict[int, Agent], alone: bool) -> dict[str, object]:
    """The entry's fields for one dimension. Grouped by agent alone, entries also carry the agent's own skill, as
    the method page's example does."""
    if dimension == "skill":
        return {"skillId": key, "skillName": SKILLS[int(key)]}
    if dimension == "agentGroup":
        return {"agentGroupId": key, "agentGroupName": AGENT_GROUPS[int(key)]}
    if dimension == "conversation":
        return {"conversationId": key}
    agent = roster[int(key)]
    own_skill = {"skillId": agent.skill_id, "skillName": SKILLS[agent.skill_id]} if alone else {}
    return {**own_skill, "agentId": agent.id, "agentName": agent.name, "agentLogin": agent.login}


def rfc3339(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timeframe(start: int, end: int) -> dict[str, object]:
    return {"from": rfc3339(start), "fromL": start * 1000, "to": rfc3339(end), "toL": end * 1000}

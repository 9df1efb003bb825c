"""The simulated account's roster (Account Configuration API, read-only): the users, skills, agent groups, profiles and
away reasons its interval metrics and status changes name, with deleted items, managers, an admin and bots.

`truth(kind)` gives each item as the contract's record; `answer(...)` sends it in the form the settings pick among
those `reference/account-config-api.md` lists (typed or string values, `memberOf` as an object or a one-element list,
`text` or `name`, `state` in any case), honouring `select` (without it, the old default fields) and `include_deleted`.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from testkit.simulator.data import AGENT_GROUPS, BOT_SKILL, SKILLS, agents
from testkit.simulator.status import REASONS

if TYPE_CHECKING:
    from testkit.simulator.server import Settings

KINDS = {
    "le-users/users": "users",
    "le-users/skills": "skills",
    "le-users/agentGroups": "agent_groups",
    "le-users/profiles": "profiles",
    "le-agents/status-reasons": "agent_status_reasons",
}
# What get-all answers without `select` in the older versions of the docs.
OLD_DEFAULT_FIELDS = {"users": ["id", "pid", "deleted", "loginName"], "skills": ["id", "deleted", "name"]}
DELETED_AGENTS = 2  # the agents at these places of the roster are deleted, yet the facts keep naming them
ROOT_GROUP = 10
UPDATED = "2026-10-02 14:07:31"
ADMIN, AGENT, MANAGER = 1, 2, 3
PROFILES = {1: ("Administrator", ADMIN), 2: ("Agent", AGENT), 3: ("Agent Manager", MANAGER), 4: ("Campaign Manager", 4)}


def truth(account: str, kind: str, extra_users: int = 0) -> list[dict[str, Any]]:
    """Every item of `kind`, deleted ones included, as the contract's record (callers must not change them)."""
    return [{"accountId": account, **record} for record in _items(account, kind, extra_users)]


@lru_cache(maxsize=32)
def _items(account: str, kind: str, extra_users: int) -> tuple[dict[str, Any], ...]:
    if kind == "users":
        return tuple(_users(account, extra_users))
    return tuple({"skills": _skills, "agent_groups": _agent_groups, "profiles": _profiles}.get(kind, _reasons)(account))


def _user(
    user_id: int,
    login: str,
    name: str,
    *,
    group: int | None,
    skills: list[int],
    profile: int,
    user_type: int = 1,
    deleted: bool = False,
    manager_of: list[int] | None = None,
) -> dict[str, Any]:
    return {
        "id": user_id,
        "pid": f"p{user_id:x}",
        "deleted": deleted,
        "loginName": login,
        "fullName": name,
        "nickname": name.split()[0],
        "email": login if "@" in login else f"{login}@brand.example",
        "employeeId": f"e{user_id % 100000:05d}" if user_id % 4 else "",
        "isEnabled": not deleted,
        "disabledManually": False,
        "userTypeId": user_type,
        "isApiUser": user_type == 0,
        "maxChats": 3 if profile == AGENT else 0,
        "maxAsyncChats": 8 if profile == AGENT else 0,
        "skillIds": skills,
        "memberOf": {"agentGroupId": group, "assignmentDate": "2025-06-25 11:36:45"} if group is not None else None,
        "managerOf": [{"agentGroupId": g, "assignmentDate": "2025-06-25 11:36:45"} for g in manager_of or []],
        "profileIds": [profile],
        "permissionGroups": [str(profile)],
        "lobIds": [],
        "dateUpdated": UPDATED,
        "agentGroupId": group,
    }


def _users(account: str, extra: int) -> list[dict[str, Any]]:
    roster = agents(account)
    deleted = {roster[7].id, roster[20].id}
    assert len(deleted) == DELETED_AGENTS
    users = [
        _user(a.id, a.login, a.name, group=a.group_id, skills=[a.skill_id], profile=AGENT, deleted=a.id in deleted)
        for a in roster
    ]
    users += [
        _user(
            3_900_001,
            "maya.lead@brand.example",
            "Maya Lead",
            group=ROOT_GROUP,
            skills=[],
            profile=MANAGER,
            manager_of=[11, 12],
        ),
        _user(
            3_900_002,
            "omar.night@brand.example",
            "Omar Night",
            group=ROOT_GROUP,
            skills=[],
            profile=MANAGER,
            manager_of=[13],
        ),
        _user(3_900_003, "admin@brand.example", "Site Admin", group=None, skills=[], profile=ADMIN),
        _user(3_900_004, "va-bot", "Virtual Assistant", group=None, skills=[BOT_SKILL], profile=AGENT, user_type=2),
        _user(3_900_005, "api-user", "Reporting API", group=None, skills=[], profile=ADMIN, user_type=0),
    ]
    users += [
        _user(
            5_000_000 + n,
            f"agent{n}@brand.example",
            f"Agent {n}",
            group=11 + n % 3,
            skills=[101 + n % 4],
            profile=AGENT,
        )
        for n in range(extra)
    ]
    return users


def _skills(account: str) -> list[dict[str, Any]]:
    everyone = {**SKILLS, 105: "Legacy Support"}
    return [
        {
            "id": skill_id,
            "name": name,
            "description": f"{name} queue",
            "deleted": skill_id == 105,
            "dateUpdated": UPDATED,
            "skillOrder": index,
            "maxWaitTime": 120,
            "wrapUpTime": 30,
            "lobIds": [],
            "canTransfer": skill_id != BOT_SKILL,
            "skillTransferList": [other for other in SKILLS if other not in (skill_id, BOT_SKILL)][:2],
            "skillRoutingConfiguration": [
                {"agentGroupId": group, "priority": 1 + n, "splitPercentage": 50} for n, group in enumerate((11, 12))
            ]
            if skill_id != BOT_SKILL
            else [],
        }
        for index, (skill_id, name) in enumerate(everyone.items())
    ]


def _agent_groups(account: str) -> list[dict[str, Any]]:
    parents = {11: ROOT_GROUP, 12: ROOT_GROUP, 13: 12}
    groups = [{"id": ROOT_GROUP, "name": "Main Group", "parentGroupId": None, "deleted": False}]
    groups += [
        {"id": g, "name": name, "parentGroupId": parents[g], "deleted": False} for g, name in AGENT_GROUPS.items()
    ]
    groups.append({"id": 14, "name": "Old Pilot", "parentGroupId": ROOT_GROUP, "deleted": True})
    return [
        {**group, "isEnabled": not group["deleted"], "description": f"{group['name']} agents", "dateUpdated": UPDATED}
        for group in groups
    ]


def _profiles(account: str) -> list[dict[str, Any]]:
    profiles = [
        {
            "id": pid,
            "name": name,
            "description": name,
            "roleTypeId": role,
            "roleTypeName": name,
            "deleted": False,
            "dateUpdated": UPDATED,
        }
        for pid, (name, role) in PROFILES.items()
    ]
    profiles.append({**profiles[1], "id": 9, "name": "Old Agent", "roleTypeName": "Agent", "deleted": True})
    return profiles


def _reasons(account: str) -> list[dict[str, Any]]:
    reasons = [
        {"id": rid, "text": text, "state": "AWAY", "enabled": True, "deleted": False} for rid, text in REASONS.items()
    ]
    reasons.append({"id": 6, "text": "Wrap-up", "state": "ONLINE", "enabled": True, "deleted": False})
    reasons.append({"id": 7, "text": "Old break", "state": "AWAY", "enabled": False, "deleted": True})
    return reasons


# --- the answer ---------------------------------------------------------------------------------------------------


def answer(kind: str, query: dict[str, str], account: str, s: Settings) -> list[dict[str, Any]]:
    """The get-all answer for `kind`, in the settings' forms."""
    items = truth(account, kind, s.roster_extra_users)
    if query.get("include_deleted", "false").lower() != "true":
        items = [item for item in items if not item["deleted"]]
    selected = _parse_select(query["select"]) if "select" in query else None
    return [_as_sent(item, kind, selected, s) for item in items]


def _as_sent(
    item: dict[str, Any], kind: str, selected: dict[str, list[str] | None] | None, s: Settings
) -> dict[str, Any]:
    sent = copy.deepcopy({key: value for key, value in item.items() if key not in ("accountId", "agentGroupId")})
    if kind == "users":
        if sent["memberOf"] is None:
            del sent["memberOf"]
        elif s.roster_member_of == "list":
            sent["memberOf"] = [sent["memberOf"]]
    if kind == "agent_status_reasons":
        sent["state"] = {"title": str.title, "upper": str.upper, "lower": str.lower}[s.roster_state_case](sent["state"])
        if s.roster_reason_text == "name":
            sent["name"] = sent.pop("text")
    if selected is None:
        fields = OLD_DEFAULT_FIELDS.get(kind)
        sent = {key: value for key, value in sent.items() if fields is None or key in fields}
    else:
        sent = {key: _children(value, selected[key]) for key, value in sent.items() if key in selected}
    return _as_text(sent) if s.roster_values == "strings" else sent


def _children(value: Any, children: list[str] | None) -> Any:
    if children is None:
        return value
    if isinstance(value, list):
        return [_children(entry, children) for entry in value]
    if isinstance(value, dict):
        return {key: entry for key, entry in value.items() if key in children}
    return value


def _parse_select(select: str) -> dict[str, list[str] | None]:
    """`id,memberOf(agentGroupId,assignmentDate)` -> {"id": None, "memberOf": ["agentGroupId", "assignmentDate"]}."""
    fields: dict[str, list[str] | None] = {}
    for name, children in re.findall(r"([A-Za-z$]+)(?:\(([^)]*)\))?", select):
        fields[name] = children.split(",") if children else None
    return fields


def _as_text(value: Any) -> Any:
    """Ids, counts and booleans as strings, as the docs' own examples send them, inside arrays and objects too."""
    if isinstance(value, dict):
        return {key: _as_text(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [_as_text(entry) for entry in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value

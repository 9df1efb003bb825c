"""The floor: the least a reader of the same work can do. One requests session, orjson, a flatten, RECORD lines.

python -m bench.floor_reader CONFIG_JSON STREAM...   (the connector's config; windows as the connector cuts them)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

import orjson
import requests

GROUPING = {
    "skill_interval_metrics": "skill",
    "agent_group_interval_metrics": "agentGroup",
    "agent_interval_metrics": "agent",
    "conversation_interval_metrics": "conversation",
    "skill_agent_interval_metrics": "skill,agent",
}
METRICS = {
    "skill": "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime,"
    "arrivals,closedConversations",
    "agentGroup": "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
    "agent": "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
    "conversation": "handleTime,handledConversations,repliedConversations,workTime",
    "skill,agent": "handleTime,handledConversations,repliedConversations,consumerMessages,agentMessages,workTime",
}
IDS = ("skillId", "agentGroupId", "agentId")


def windows(start: int, step: int) -> list[tuple[int, int]]:
    """One-day windows from `start` (not before the API's 14 days, plus 15 minutes) to the last finished interval."""
    now = int(time.time())
    oldest = now - 14 * 86400 + 900
    start = max(start, oldest + (-oldest % step))
    end = now // step * step
    return [(lower, min(lower + 86400, end)) for lower in range(start, end, 86400)]


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_in(config: dict[str, Any]) -> tuple[requests.Session, str]:
    """A session signed in to the simulator (one host serves every service), and the interval-metrics URL."""
    api, account = config["domain_api_url"], config["account_id"]
    session = requests.Session()
    host = session.get(f"{api}/api/account/{account}/service/agentActivityDomain/baseURI.json").json()["baseURI"]
    token = session.post(
        f"http://{host}/sentinel/api/v2/account/{account}/app/token",
        data={
            "client_id": config["credentials"]["client_id"],
            "client_secret": config["credentials"]["client_secret"],
            "grant_type": "client_credentials",
        },
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session, f"http://{host}/api/account/{account}/interval-metrics"


def main() -> None:
    config: dict[str, Any] = json.load(open(sys.argv[1]))
    account = config["account_id"]
    session, base = signed_in(config)
    step = int(config.get("interval_duration", 15)) * 60
    start = int(dt.datetime.fromisoformat(config["start_date"].replace("Z", "+00:00")).timestamp())
    out = sys.stdout.buffer
    for stream in sys.argv[2:]:
        grouping = GROUPING[stream]
        context = {"accountId": account, "intervalDuration": step // 60, "handleTimeModel": "IFT"}
        for lower, upper in windows(start, step):
            query = {
                "v": "1",
                "source": "floor",
                "handleTimeModel": "IFT",
                "metrics": METRICS[grouping],
                "grouping": grouping,
                "intervalDuration": str(step // 60),
                "pageSize": "500",
                "from": iso(lower),
                "to": iso(upper),
            }
            first, last = iso(lower), iso(upper - 1)
            while True:
                body = orjson.loads(session.get(base, params=query).content)
                for entry in body.get("intervals") or ():
                    timeframe = entry["timeframe"]
                    if not first <= timeframe["from"] <= last:
                        continue
                    record = {**context, "intervalStart": timeframe["from"], "intervalEnd": timeframe["to"]}
                    for key, value in entry.items():
                        if key == "metrics":
                            record.update(value)
                        elif key in IDS:
                            record[key] = int(value)
                        elif key != "timeframe":
                            record[key] = value
                    out.write(
                        orjson.dumps(
                            {
                                "type": "RECORD",
                                "record": {"stream": stream, "data": record, "emitted_at": int(time.time() * 1000)},
                            }
                        )
                        + b"\n"
                    )
                paging = body["metadata"]["paging"]
                if paging.get("nextPageKey"):
                    query["pageKey"] = paging["nextPageKey"]
                else:
                    break
    out.flush()


if __name__ == "__main__":
    main()

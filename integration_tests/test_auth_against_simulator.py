"""Signing in the way LivePerson accounts work, against the simulator; and no secret ever printed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from integration_tests.conftest import (
    CLEAN,
    catalog,
    compare,
    connector_config,
    errors,
    expected_records,
    records,
    requested_end,
    run_connector,
)
from testkit.simulator import Simulator
from testkit.simulator.data import rfc3339

SKILL = "skill_interval_metrics"


API_KEYS = {
    "auth_type": "oauth1",
    "consumer_key": "app-key-value-1",
    "consumer_secret": "app-secret-value-1",
    "access_token": "access-token-value-1",
    "access_token_secret": "access-token-secret-value-1",
}


def read_skill(simulator: Simulator, tmp_path: Path, start: int, **config: Any) -> list[dict[str, Any]]:
    simulator.requests.clear()
    messages = run_connector(
        tmp_path, "read", connector_config(simulator, start_date=rfc3339(start), **config), catalog([SKILL])
    )
    assert errors(messages) == []
    end = requested_end(simulator)
    assert compare(SKILL, records(messages, SKILL), expected_records(simulator, SKILL, start, end)) == CLEAN
    return messages


def test_short_lived_tokens_are_renewed_during_a_long_read(simulator: Simulator, tmp_path: Path) -> None:
    simulator.update(token_ttl=2, latency=0.1)
    read_skill(simulator, tmp_path, int(time.time()) // 86400 * 86400 - 2 * 86400, page_size=20, num_workers=1)
    assert simulator.stats["token"] > 1 and simulator.stats["status:401"] == 0


def test_a_token_revoked_mid_read_is_replaced_and_nothing_is_lost(simulator: Simulator, tmp_path: Path) -> None:
    simulator.update(revoke_tokens_after=3)
    read_skill(simulator, tmp_path, int(time.time()) // 86400 * 86400 - 2 * 86400, page_size=20, num_workers=1)
    assert simulator.stats["status:401"] >= 1 and simulator.stats["token"] >= 2


@pytest.mark.parametrize("verb", ["check", "discover", "read"])
@pytest.mark.parametrize("keys", [API_KEYS, {k: v for k, v in API_KEYS.items() if k != "auth_type"}])
def test_api_keys_are_refused_in_one_line_before_anything_is_sent(
    simulator: Simulator, tmp_path: Path, verb: str, keys: dict[str, str]
) -> None:
    output: list[str] = []
    config = connector_config(simulator, credentials=keys)
    messages = run_connector(tmp_path, verb, config, catalog([SKILL]) if verb == "read" else None, output=output)
    said = (
        "Config validation error: credentials are API keys (OAuth 1.0a), which LivePerson ended on 2026-05-31. In "
        "the Management Console, open Application Install, install an application with the client credentials grant "
        "and the Data > Workforce Management permission, and give its client id and secret with auth_type oauth2."
    )
    if verb == "check":
        assert [m["connectionStatus"] for m in messages if "connectionStatus" in m] == [
            {"status": "FAILED", "message": said}
        ]
    else:
        assert [(e["failure_type"], e["message"]) for e in errors(messages)] == [("config_error", said)]
    assert simulator.stats["token"] == 0 and simulator.requests == [] and simulator.stats["domain"] == 0
    assert not any(secret in output[0] for secret in list(keys.values())[-4:])


def test_a_wrong_client_secret_fails_check_at_signing_in(simulator: Simulator, tmp_path: Path) -> None:
    config = connector_config(simulator)
    config["credentials"]["client_secret"] = "wrong-client-secret"
    (status,) = [
        m["connectionStatus"] for m in run_connector(tmp_path, "check", config) if m["type"] == "CONNECTION_STATUS"
    ]
    assert status == {
        "status": "FAILED",
        "message": (
            "Signing in failed: LivePerson's Sentinel refused the OAuth 2.0 client for account 123456 (HTTP 401: "
            "Client authentication failed). Check the client id and secret of the application installed in the "
            "Management Console (Application Install)."
        ),
    }


def test_no_secret_or_token_is_ever_printed(simulator: Simulator, tmp_path: Path) -> None:
    good = connector_config(simulator, start_date=rfc3339(int(time.time()) // 900 * 900 - 3 * 3600))
    secrets = [value for key, value in good["credentials"].items() if key != "auth_type"]
    bad = {
        **good,
        "credentials": {
            **good["credentials"],
            "client_secret": "wrong-secret-value-1",
        },
    }
    outputs: list[str] = []
    for config in (good, bad):
        run_connector(tmp_path, "check", config, output=outputs)
        run_connector(tmp_path, "read", config, catalog([SKILL]), output=outputs, debug=True)
    simulator.update(has_permission=False)
    run_connector(tmp_path, "read", good, catalog([SKILL]), output=outputs)
    simulator.update(has_permission=True, fault_sequence=[401, 401, 401])
    run_connector(tmp_path, "read", good, catalog([SKILL]), output=outputs)
    printed = "\n".join(outputs)
    assert "wrong-secret-value-1" not in printed
    for secret in [*secrets, *simulator.issued_tokens]:
        assert secret not in printed, f"a secret ({secret[:3]}…) was printed"

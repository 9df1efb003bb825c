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
from integration_tests.simulator import Simulator
from integration_tests.simulator.data import rfc3339

SKILL = "skill_interval_metrics"


def oauth1(simulator: Simulator, **changes: str) -> dict[str, Any]:
    s = simulator.settings
    keys = {
        "auth_type": "oauth1",
        "consumer_key": s.consumer_key,
        "consumer_secret": s.consumer_secret,
        "access_token": s.access_token,
        "access_token_secret": s.access_token_secret,
    }
    return {**keys, **changes}


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


def test_oauth1_api_keys_are_accepted_where_liveperson_still_serves_them_with_a_warning(
    simulator: Simulator, tmp_path: Path
) -> None:
    messages = read_skill(simulator, tmp_path, int(time.time()) // 900 * 900 - 6 * 3600, credentials=oauth1(simulator))
    assert simulator.stats["token"] == 0
    warnings = [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["level"] == "WARN"]
    assert [w for w in warnings if "API keys" in w] == [
        "Signing in with API keys (OAuth 1.0a). LivePerson ended OAuth 1.0 on 2026-05-31, so API keys no longer work "
        "for most accounts. In the Management Console, open Application Install, install an application with the "
        "client credentials grant and the Data > Workforce Management permission, and sign in with its client id and "
        "secret (OAuth 2.0)."
    ]


def test_a_request_sent_again_without_a_refused_metric_is_signed_again(simulator: Simulator, tmp_path: Path) -> None:
    simulator.update(skill_metrics_refused=("arrivals", "closedConversations"))
    start = int(time.time()) // 900 * 900 - 6 * 3600
    read_skill(simulator, tmp_path, start, credentials=oauth1(simulator), num_workers=1)  # one window at a time
    assert simulator.stats["status:400"] == 2 and simulator.stats["status:401"] == 0  # later windows leave both out


def test_a_wrong_oauth1_secret_is_refused_with_what_to_check(simulator: Simulator, tmp_path: Path) -> None:
    config = connector_config(simulator, credentials=oauth1(simulator, consumer_secret="wrong-consumer-secret"))
    (status,) = [
        m["connectionStatus"] for m in run_connector(tmp_path, "check", config) if m["type"] == "CONNECTION_STATUS"
    ]
    assert status["status"] == "FAILED"
    assert status["message"].startswith(
        "Reading interval metrics failed: LivePerson refused the API keys "
        "(HTTP 401: Unauthorized: oauth_problem=signature_invalid). LivePerson ended OAuth 1.0 on 2026-05-31, so API "
        "keys no longer work for most accounts. In the Management Console, open Application Install"
    )


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


@pytest.mark.parametrize("auth", ["oauth2", "oauth1"])
def test_no_secret_or_token_is_ever_printed(simulator: Simulator, tmp_path: Path, auth: str) -> None:
    good = connector_config(simulator, start_date=rfc3339(int(time.time()) // 900 * 900 - 3 * 3600))
    if auth == "oauth1":
        good["credentials"] = oauth1(simulator)
    secrets = [value for key, value in good["credentials"].items() if key != "auth_type"]
    bad = {
        **good,
        "credentials": {
            **good["credentials"],
            ("client_secret" if auth == "oauth2" else "consumer_secret"): "wrong-secret-value-1",
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

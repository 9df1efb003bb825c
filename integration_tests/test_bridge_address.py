"""Where the image tests' containers reach the simulator on the host, whatever the engine lists for its bridge."""

from __future__ import annotations

from typing import Any

import pytest

from integration_tests import image


class FakeDocker:
    """Answers `networks.get("bridge").attrs` as an engine would."""

    def __init__(self, attrs: dict[str, Any] | None) -> None:
        self.attrs, self.networks = attrs, self

    def get(self, name: str) -> FakeDocker:
        if self.attrs is None:
            raise LookupError(name)
        return self


@pytest.mark.parametrize(
    ("attrs", "address"),
    [
        ({"IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]}}, "172.17.0.1"),
        # Debian's docker.io started plainly lists no gateway; its bridge interface holds the address.
        (
            {"IPAM": {"Config": [{"Subnet": "127.0.0.0/8"}]}, "Options": {"com.docker.network.bridge.name": "lo"}},
            "127.0.0.1",
        ),
        ({"IPAM": {"Config": [{"Subnet": "10.200.0.0/24"}]}, "Options": {}}, "10.200.0.1"),
        ({"IPAM": {"Config": []}}, "127.0.0.1"),
        (None, "127.0.0.1"),
    ],
    ids=["gateway", "no-gateway-interface", "no-gateway-no-interface", "no-ipam", "no-bridge"],
)
def test_the_bridge_address_is_found_with_or_without_a_gateway(
    attrs: dict[str, Any] | None, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if attrs is not None and "Options" in attrs and not attrs["Options"]:
        monkeypatch.setattr(image, "interface_address", lambda name: None)  # no docker0 on this machine
    assert image.bridge_address(FakeDocker(attrs)) == address

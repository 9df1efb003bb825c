"""The connector image for the image tests: built from the real Dockerfile on Airbyte's pinned base, or, where that
cannot be pulled (Docker Hub out of reach), on the stand-in base `scripts/standin-base.sh` builds once per machine."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import socket
import struct
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "airbyte/source-interval-metrics:dev"
STANDIN_BASE = "source-interval-metrics/python-connector-base-standin:bookworm"
# Set by .ci/run: there the image tests must run, and a missing Docker engine fails the run instead of skipping.
REQUIRED_VARIABLE = "SOURCE_INTERVAL_METRICS_REQUIRE_IMAGE_TESTS"
SIOCGIFADDR = 0x8915  # Linux: get an interface's address


def required() -> bool:
    return os.environ.get(REQUIRED_VARIABLE) == "1"


def client() -> Any | None:
    """A Docker client whose engine answers, or None."""
    try:
        import docker

        found = docker.from_env(timeout=5)
        found.ping()
    except Exception:
        return None
    return found


def bridge_address(docker_client: Any) -> str:
    """The host's address on Docker's default bridge: containers reach a server there, and so does the host. The
    bridge's gateway; where the engine lists none (Debian's docker.io started plainly), the address of the bridge's
    interface (docker0), else the first address of its subnet; 127.0.0.1 where there is no bridge at all."""
    try:
        bridge = docker_client.networks.get("bridge").attrs
        ipam = bridge["IPAM"]["Config"][0]
    except Exception:  # docker.errors.NotFound, or a bridge without IPAM config
        return "127.0.0.1"
    if ipam.get("Gateway"):
        return str(ipam["Gateway"])
    interface = (bridge.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
    found = interface_address(interface)
    if found:
        return found
    return str(next(ipaddress.ip_network(ipam["Subnet"]).hosts())) if ipam.get("Subnet") else "127.0.0.1"


def interface_address(name: str) -> str | None:
    """The IPv4 address of the network interface `name` on this machine, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def pinned_base() -> str:
    found = re.search(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    if not found:
        raise AssertionError("the Dockerfile has no `ARG BASE_IMAGE=...` default")
    return found.group(1)


def base(docker_client: Any) -> tuple[str, str]:
    """The base to build on and why: the pinned one if it can be pulled, else the stand-in (built if missing)."""
    import docker

    pinned = pinned_base()
    try:
        docker_client.images.pull(pinned)
        return pinned, "the pinned base"
    except docker.errors.APIError as error:
        why = str(error.explanation or error).splitlines()[0][:160]
    subprocess.run([str(ROOT / "scripts" / "standin-base.sh"), STANDIN_BASE], check=True, capture_output=True)
    return STANDIN_BASE, f"the stand-in base, because the pinned one cannot be pulled ({why})"


def build(docker_client: Any) -> str:
    """Builds the real Dockerfile; returns a line saying on which base."""
    chosen, why = base(docker_client)
    docker_client.images.build(
        path=str(ROOT), tag=IMAGE, rm=True, buildargs={"BASE_IMAGE": chosen}, network_mode="host"
    )
    return f"image tests: built {IMAGE} on {why}"

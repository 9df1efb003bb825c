"""A faithful local simulator of the LivePerson APIs the connector uses."""

from testkit.simulator.server import Settings, Simulator

__all__ = ["Settings", "Simulator"]

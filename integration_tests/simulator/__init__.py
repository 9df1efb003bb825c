"""A faithful local simulator of the LivePerson APIs the connector uses."""

from integration_tests.simulator.server import Settings, Simulator

__all__ = ["Settings", "Simulator"]

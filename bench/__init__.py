"""`make bench`: the connector against a minimal hand-written reader of the same work, on the simulator."""

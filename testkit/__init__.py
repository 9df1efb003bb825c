"""What both test trees, the demo and the bench share: the LivePerson simulator and the streams' schemas."""

"""`make demo`: the connector end to end through PyAirbyte into DuckDB."""

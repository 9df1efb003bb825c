"""The figures WFM teams plan from, defined once: the docs page's SQL blocks that start with `-- figure: <name>`.

The demo runs them on its DuckDB file and the tests run them against the simulator's truth, so the page, the demo
and the tests cannot disagree. A block that starts `-- figure: <name>; seconds = <other>` reads `seconds`, the
other figure's rows (time in each state per agent and interval).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "integrations" / "sources" / "interval-metrics.md"
_BLOCK = re.compile(r"```sql\n-- figure: (?P<name>\w+)(?:; seconds = (?P<seconds>\w+))?\n(?P<sql>.*?)```", re.DOTALL)
SCHEMA = "liveperson"  # where the demo's DuckDB file keeps the streams


@cache
def figures() -> dict[str, str]:
    """Every figure of the docs page, by name, as SQL that runs on its own (without the trailing semicolon)."""
    blocks = list(_BLOCK.finditer(DOCS_PAGE.read_text()))
    alone = {block["name"]: block["sql"].strip().rstrip(";") for block in blocks}
    return {
        block["name"]: f"WITH seconds AS ({alone[block['seconds']]})\n{alone[block['name']]}"
        if block["seconds"]
        else alone[block["name"]]
        for block in blocks
    }


def run(connection: Any, name: str) -> Any:
    """The figure `name` on a DuckDB connection to the demo's file, in UTC, as a pandas data frame."""
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET search_path = '{SCHEMA}'")
    return connection.execute(figures()[name]).df()

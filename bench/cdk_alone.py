"""A verb run by the CDK alone: its own entrypoint and ConcurrentDeclarativeSource, built from this manifest with the
package's components, and nothing of `source.py` or `run.py`. What any connector of this manifest costs to start.

python -m bench.cdk_alone check|discover|read --config CONFIG [--catalog CATALOG]   (the config with its defaults)
"""

from __future__ import annotations

import pkgutil
import sys

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.utils.yaml_loader import safe_load_yaml


def main(args: list[str]) -> None:
    manifest = safe_load_yaml(pkgutil.get_data("source_interval_metrics", "manifest.yaml") or b"")
    catalog, config, state = (
        AirbyteEntrypoint.extract_catalog(args),
        AirbyteEntrypoint.extract_config(args),
        AirbyteEntrypoint.extract_state(args),
    )
    source = ConcurrentDeclarativeSource(
        catalog=ConcurrentDeclarativeSource.read_catalog(catalog) if catalog else None,
        config=ConcurrentDeclarativeSource.read_config(config) if config else None,
        state=ConcurrentDeclarativeSource.read_state(state) if state else None,
        source_config=manifest,
    )
    launch(source, args)


if __name__ == "__main__":
    main(sys.argv[1:])

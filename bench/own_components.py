"""What a record costs in this connector's own components, over real pages of the conversation grouping.

python -m bench.own_components SIMULATOR_URL START_DATE   (prints microseconds of CPU per record)

The response codes, decoding, flattening, the window filter and paging, in one thread: the rest of a record's cost
in a read is the CDK's path (record objects, the cursor, the queue, serialization).
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
import time

import requests
from airbyte_cdk.sources.declarative.models.declarative_component_schema import CustomErrorHandler
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.types import StreamSlice

from bench.floor_reader import METRICS, iso, signed_in, windows
from source_interval_metrics.components.paging import NextPageKeyPaginationStrategy
from source_interval_metrics.components.records import IntervalRecordExtractor, IntervalStartInWindowRecordFilter
from source_interval_metrics.manifest import manifest

ACCOUNT = "123456"
CONFIG = {"account_id": ACCOUNT, "interval_duration": 15, "handle_time_model": "IFT"}


def pages(url: str, start: int) -> list[tuple[requests.Response, StreamSlice]]:
    """Every page of the conversation grouping from `start`, in one-day windows as the connector cuts them."""
    credentials = {"client_id": "sim-client-id", "client_secret": "sim-client-secret"}
    session, base = signed_in({"domain_api_url": url, "account_id": ACCOUNT, "credentials": credentials})
    found = []
    for lower, upper in windows(start, 900):
        window = StreamSlice(partition={}, cursor_slice={"start_time": iso(lower), "end_time": iso(upper - 1)})
        query = {"v": "1", "source": "bench", "handleTimeModel": "IFT", "grouping": "conversation"}
        query.update({"metrics": METRICS["conversation"], "pageSize": "500", "intervalDuration": "15"})
        query.update({"from": iso(lower), "to": iso(upper - 1)})
        while True:
            page = session.get(base, params=query)
            found.append((page, window))
            key = (page.json()["metadata"]["paging"] or {}).get("nextPageKey")
            if not key:
                break
            query["pageKey"] = key
    return found


def microseconds_a_record(answers: list[tuple[requests.Response, StreamSlice]]) -> float:
    definition = {**manifest()["definitions"]["requester"]["error_handler"], "$parameters": {}}
    codes = ModelToComponentFactory().create_component(CustomErrorHandler, definition, CONFIG)
    extractor = IntervalRecordExtractor(config=CONFIG, parameters={})
    in_window = IntervalStartInWindowRecordFilter(config=CONFIG, parameters={}, condition="")
    paging = NextPageKeyPaginationStrategy(config=CONFIG, parameters={})
    records, began = 0, time.process_time()
    for answer, window in answers:
        fresh = copy.copy(answer)  # decoded anew, as every answer is once
        codes.interpret_response(fresh)
        kept = list(in_window.filter_records(extractor.extract_records(fresh), {}, window))
        paging.next_page_token(fresh, len(kept), None, None, stream_slice=window)
        records += len(kept)
    return (time.process_time() - began) / records * 1e6


def main() -> None:
    url, start_date = sys.argv[1:3]
    start = int(dt.datetime.fromisoformat(start_date.replace("Z", "+00:00")).timestamp())
    print(f"{microseconds_a_record(pages(url, start)):.2f}")


if __name__ == "__main__":
    main()

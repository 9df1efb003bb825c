"""`python -m testkit.simulator [--port N] [--settings JSON]`: serve the simulator until interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import threading

from testkit.simulator import Settings, Simulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--settings", default="{}", help="JSON object of Settings fields to change")
    parser.add_argument("--ready-file", help="write the simulator's URL to this file once it listens")
    args = parser.parse_args()
    simulator = Simulator(Settings(), port=args.port)
    simulator.update(**json.loads(args.settings))
    simulator.start()
    print(
        f"LivePerson simulator listening on {simulator.url} (account {simulator.settings.account})",
        flush=True,
    )
    if args.ready_file:
        with open(args.ready_file, "w") as ready:
            ready.write(simulator.url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    simulator.stop()


if __name__ == "__main__":
    main()

"""``python -m benchmarks [--quick] [--rounds N] [--only small large per_sample] [--no-memory]``."""

from __future__ import annotations

import argparse
import os
import sys

from .report import render
from .suite import run_suite
from .workloads import MODES, WORKLOADS

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "latest.md")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="short smoke run: fewer epochs and rows, 3 rounds; writes no file")
    size.add_argument("--tiny", action="store_true", help="tiniest sizes, one round (for tests)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per case")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), default=None)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--output", default=None,
                        help=f"write the table there (default for a full run: {RESULTS})")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "tiny" if args.tiny else "full"
    rounds = args.rounds or MODES[mode]["rounds"]
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    suite = run_suite(mode, rounds=rounds, only=args.only, memory=not args.no_memory, log=log)
    command = "python -m benchmarks" + ("" if argv is None and len(sys.argv) == 1
                                        else " " + " ".join(argv if argv is not None
                                                            else sys.argv[1:]))
    text = render(suite, command=command)
    print(text)
    output = args.output or (RESULTS if mode == "full" and not args.only else None)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

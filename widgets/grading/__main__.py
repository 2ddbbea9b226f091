"""Command line: ``python -m widgets.grading release SOURCE_DIR OUT_DIR``."""

from __future__ import annotations

import argparse
import sys

from widgets.grading.release import release


def main(argv: list[str] | None = None) -> int:
    """Run the grading command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m widgets.grading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="write student versions of the lessons")
    rel.add_argument("source_dir", help="folder of source lessons (with solutions)")
    rel.add_argument("out_dir", help="folder to write the student versions to")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for path in release(args.source_dir, args.out_dir):
                print(f"released {path}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line for instructors.

``python -m widgets.grading release SOURCE_DIR OUT_DIR`` writes student versions;
``python -m widgets.grading grade SUBMISSIONS_DIR --source SOURCE_DIR --out REPORT_DIR``
grades ``SUBMISSIONS_DIR/<student>/<lesson>.ipynb`` into ``grades.csv``,
``grades.json`` and ``feedback/<student>.md``, each submission's kernel in a
bubblewrap sandbox (``--no-sandbox`` to grade without one);
``python -m widgets.grading check SOURCE_DIR [--release OUT]`` finds every
mistake in a folder of source lessons before release (``--static`` for the
checks that run no notebook).
"""

from __future__ import annotations

import argparse
import sys

from widgets.grading.author import check_source
from widgets.grading.grade import NOT_SUBMITTED, grade
from widgets.grading.release import release
from widgets.grading.sandbox import MEMORY_MB


def main(argv: list[str] | None = None) -> int:
    """Run the grading command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m widgets.grading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="write student versions of the lessons")
    rel.add_argument("source_dir", help="folder of source lessons (with solutions)")
    rel.add_argument("out_dir", help="folder to write the student versions to")
    grd = commands.add_parser("grade", help="grade a folder of submissions")
    grd.add_argument("submissions_dir", help="folder of <student>/<lesson>.ipynb")
    grd.add_argument("--source", required=True, help="folder of source lessons (with solutions)")
    grd.add_argument("--out", required=True, help="folder for grades.csv, grades.json, feedback/")
    grd.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per submitted notebook (default 300)"
    )
    grd.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: cores)")
    grd.add_argument(
        "--challenge", type=int, default=None, help="seed of the hidden checks (default: random)"
    )
    grd.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the submissions without the bubblewrap sandbox, as you, with your files and network "
        "(the report says so); only where no sandbox can start",
    )
    grd.add_argument(
        "--memory-mb", type=int, default=MEMORY_MB, help=f"memory per notebook (default {MEMORY_MB} MB)"
    )
    chk = commands.add_parser("check", help="find every mistake in a folder of source lessons before release")
    chk.add_argument("source_dir", help="folder of source lessons (with solutions)")
    chk.add_argument("--release", metavar="OUT", default=None, help="keep the release written here")
    chk.add_argument(
        "--static", action="store_true", help="only the checks that read the notebooks (no kernel runs)"
    )
    chk.add_argument(
        "--challenge", type=int, default=None, help="the second run's challenge (default: random)"
    )
    chk.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook run (default 300)")
    chk.add_argument("--jobs", type=int, default=None, help="notebook runs at once (default: cores)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "release":
            for path in release(args.source_dir, args.out_dir):
                print(f"released {path}")
        else:
            rows = grade(
                args.submissions_dir,
                args.source,
                args.out,
                timeout=args.timeout,
                jobs=args.jobs,
                challenge=args.challenge,
                sandbox=not args.no_sandbox,
                memory_mb=args.memory_mb,
            )
            students = sorted({r.student for r in rows})
            for student in students:
                mine = [r for r in rows if r.student == student]
                earned, possible = sum(r.points for r in mine), sum(r.max_points for r in mine)
                missing = sorted({r.lesson for r in mine if r.reason.startswith(NOT_SUBMITTED)})
                gaps = f" ({NOT_SUBMITTED}: {', '.join(missing)})" if missing else ""
                print(f"{student}: {earned:g} of {possible:g} points{gaps}")
            print(f"wrote {args.out}/grades.csv, grades.json and feedback/ for {len(students)} students")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _check(args) -> int:
    """Run ``check``: one line per problem and exit code 1, or a one-line summary and 0."""
    report = check_source(
        args.source_dir,
        release_dir=args.release,
        static=args.static,
        challenge=args.challenge,
        timeout=args.timeout,
        jobs=args.jobs,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    for problem in report.problems:
        print(problem)
    counts = (
        f"{report.notebooks} notebook{'s' * (report.notebooks != 1)}, {report.exercises} exercises, "
        f"{report.points:g} points"
    )
    if report.problems:
        skipped = report.challenge is None and not args.static
        note = " (the notebooks were not run: fix these first)" if skipped else ""
        print(f"{len(report.problems)} problem(s) in {counts}{note}", file=sys.stderr)
        return 1
    if args.static:
        print(f"ok: {counts}; static checks only (the notebooks were not run)")
    else:
        where = args.release or "a temporary folder"
        ran = "challenge 0" if report.challenge == 0 else f"challenges 0 and {report.challenge}"
        print(f"ok: {counts}; sources ran at {ran}, the release in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark and print medians and ratios against the tutorial's way.

Usage: ``python -m benchmarks [--quick]`` from the repository root.
"""

import argparse
import os
import platform

import numpyro

# The tutorial runs its four chains in parallel on four host devices; so do we.
numpyro.set_host_device_count(4)
# Every measurement compiles afresh (inherited by the fresh processes and
# kernels), except the rows that measure the kit's compilation cache itself.
os.environ["WIDGETS_COMPILATION_CACHE"] = "off"

from benchmarks import (  # noqa: E402
    batched,
    browser,
    inference_steps,
    lessons,
    panels,
    peers,
    robust,
    sbc,
    trajectory,
)
from benchmarks.timing import print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print(f"# widgets benchmarks on {os.cpu_count()} cores, Python {platform.python_version()}")
    print("Medians of repeated runs; the tutorial's way is measured in the same run.")
    print_table("Inference (widgets.inference)", inference_steps.run(args.quick))
    print_table("Batched fits (fit_many) against a loop of single fits", batched.run(args.quick))
    print_table(peers.TITLE, peers.run(args.quick))
    print_table("Panels: one control move, Python side (value set -> marks updated)", panels.run(args.quick))
    print_table("Lesson 3: the robust-regression panel (Python side)", robust.run(args.quick, lesson=False))
    print_table("Lesson 4: simulation-based calibration", sbc.run(args.quick))
    print_table(trajectory.TITLE, trajectory.run(args.quick))
    print_table(
        "Lessons and grading (lessons: single runs; grading: medians of two)", lessons.run(args.quick)
    )
    print_table("In JupyterLab and Chromium (lesson rows are single runs)", browser.run(args.quick))


if __name__ == "__main__":
    main()

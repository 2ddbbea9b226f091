"""Timing, memory and report helpers shared by every benchmark section."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[int], object], repeat: int) -> float:
    """Median wall time of ``fn(i)`` over `repeat` calls, i = 0, 1, ..."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_fresh_process(code: str, repeat: int, env: dict[str, str] | None = None) -> list[dict]:
    """Run `code` in `repeat` fresh Python processes; each prints one JSON dict last.

    `env` adds to (or overrides) this process's environment.
    """
    results = []
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


@dataclasses.dataclass
class Row:
    """One line of the report: ours against the tutorial's way, with a target."""

    name: str
    ours: float
    unit: str = "s"
    tutorial: float | None = None
    target: str = ""
    met: bool | None = None

    def cells(self) -> list[str]:
        """The row's table cells: name, ours, theirs, ratio, target and verdict."""
        scale, unit = (1e3, "ms") if self.unit == "s" else (1.0, self.unit)
        ratio = f"{self.tutorial / self.ours:,.0f}x" if self.tutorial else ""
        if self.tutorial and self.tutorial / self.ours < 10:
            ratio = f"{self.tutorial / self.ours:.2f}x"
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        return [
            self.name,
            f"{self.ours * scale:,.2f} {unit}",
            f"{self.tutorial * scale:,.2f} {unit}" if self.tutorial else "",
            ratio,
            f"{self.target} {verdict}".strip(),
        ]


def print_table(title: str, rows: list[Row]) -> None:
    """Print rows as an aligned table under `title`."""
    header = ["measure", "median (ours)", "tutorial's way", "speed-up", "target"]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(f"\n## {title}")
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))

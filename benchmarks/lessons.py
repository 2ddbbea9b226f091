"""Each lesson top to bottom in a fresh kernel (time, kernel peak memory), and grading a folder."""

from __future__ import annotations

import pathlib
import shutil
import statistics
import tempfile
import time

import nbformat
from nbclient import NotebookClient

from benchmarks.timing import Row
from widgets.grading.grade import grade
from widgets.grading.release import release_notebook

LESSONS = sorted((pathlib.Path(__file__).resolve().parent.parent / "lessons").glob("*.ipynb"))
PEAK_CELL = (
    "print('peak-kb', next(int(line.split()[1]) for line in open('/proc/self/status') "
    "if line.startswith('VmHWM')))"
)


def run_lesson(path: pathlib.Path) -> tuple[float, float]:
    """Seconds to run the lesson in a fresh kernel, and the kernel's peak memory in MB."""
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    started = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - started
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return seconds, int(text.split()[-1]) / 1024


def grading_time(count: int, *, sandbox: bool = True) -> float:
    """Seconds to grade `count` submissions of lesson 1 (half full, half blank), all cores.

    Each submission's kernel runs in the grader's bubblewrap sandbox unless `sandbox` is False.
    """
    folder = pathlib.Path(tempfile.mkdtemp())
    try:
        source = nbformat.read(str(LESSONS[0]), as_version=4)
        for i in range(count):
            (folder / "submissions" / f"student{i:02d}").mkdir(parents=True)
            nb = source if i % 2 == 0 else release_notebook(source)
            nbformat.write(nb, str(folder / "submissions" / f"student{i:02d}" / LESSONS[0].name))
        lessons = folder / "lessons"
        lessons.mkdir()
        shutil.copy(LESSONS[0], lessons)
        started = time.perf_counter()
        grade(
            folder / "submissions", lessons, folder / "report", progress=False, challenge=1, sandbox=sandbox
        )
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder)


def run(quick: bool) -> list[Row]:
    """Rows for every lesson, then the grading run."""
    rows = []
    for path in LESSONS:
        seconds, megabytes = run_lesson(path)
        rows.append(
            Row(f"{path.stem}: top to bottom, fresh kernel", seconds, target="<= 45 s", met=seconds <= 45)
        )
        rows.append(
            Row(
                f"{path.stem}: kernel peak memory",
                megabytes,
                unit="MB",
                target="<= 800 MB",
                met=megabytes <= 800,
            )
        )
    count = 4 if quick else 20
    rows.extend(sandbox_rows(count))
    return rows


def sandbox_rows(count: int) -> list[Row]:
    """Grading `count` submissions without the sandbox and with it, in the order A B B A, and the ratio.

    The shared machine's load drifts over minutes; the A B B A order cancels a
    steady drift from the ratio of the two medians (each of two runs).
    """
    times: dict[bool, list[float]] = {False: [], True: []}
    for sandbox in (False, True, True, False):
        times[sandbox].append(grading_time(count, sandbox=sandbox))
    without, sandboxed = statistics.median(times[False]), statistics.median(times[True])
    ratio = sandboxed / without
    print(
        f"grading {count} submissions (A B B A): without the sandbox {times[False]} s, "
        f"in it {times[True]} s; medians {without:.1f} s and {sandboxed:.1f} s, ratio {ratio:.3f}"
    )
    return [
        Row(
            f"grade a folder of {count} submissions of lesson 1, no sandbox (source run incl.; 2 runs)",
            without,
        ),
        Row(
            f"the same in the sandbox ({ratio:.2f}x the time without)",
            sandboxed,
            target="<= 1.10x without",
            met=ratio <= 1.10,
        ),
    ]

"""Grade a folder of submissions without trusting them.

For each submission ``SUBMISSIONS_DIR/<student>/<lesson>.ipynb`` the grader

1. rebuilds the notebook from the source lesson: every locked and test cell
   comes from the source (matched by ``grade_id``, so deleted, moved or edited
   test cells are restored, hidden tests included); answer cells, and cells the
   student added, come from the submission;
2. executes it with nbclient in a fresh kernel (over IPC sockets in a private
   temporary folder), with a deadline per notebook, outputs capped per cell,
   and errors, timeouts and a dying kernel recorded instead of raised; the
   kernel runs in a bubblewrap sandbox (:mod:`widgets.grading.sandbox`): its own
   scratch folder, no network, no view of the lessons, the report or other
   submissions, and caps on memory and processes;
   The kernel's checks (``lesson.check`` in the test cells) append records to a
   private file (:mod:`widgets.exercises.context`): for each exercise, its
   state and the answer as plain data;
3. decides each exercise here, in the grader's process, by comparing the
   answer's data with the reference data recorded by a run of the source lesson
   (:mod:`widgets.grading.compare`). Only a record made by the source's own
   test cell counts (the SHA-256 of the cell's code is in the record), so a
   check call a student adds is ignored. An answer that is missing, still the
   release's stub, or a stand-in the lesson put in its place is "not answered
   yet"; a lesson with no notebook in the student's folder is "not submitted".

What the submission defines or patches in its kernel (the check functions,
NumPy, builtins) only reaches the grader as data; check inputs depend on a
challenge seed drawn anew for each grading run, so a hard-coded answer to the
in-notebook check does not carry over. Submissions are only read.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import hashlib
import json
import os
import pathlib
import secrets
import sys
import tempfile
import time

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets.config import Config

from widgets.grading import notebooks, sandbox as sandboxing
from widgets.grading.compare import choose_hint, verdict

OUTPUT_CAP = 200_000  # characters of output kept per cell; the rest is dropped
NOT_ANSWERED, NOT_CHECKED = "not answered yet", "not checked yet"  # as widgets.exercises says
RECORDS_CAP = 50_000_000  # characters of records read per notebook (a notebook may write more)
# Seconds the instructor's own source lessons may run for their references, whatever --timeout is:
# --timeout limits a student's notebook, and a busy machine must not fail the whole grade.
SOURCE_TIMEOUT = 1800.0


@dataclasses.dataclass
class Row:
    """One line of the grade report."""

    student: str
    lesson: str
    grade_id: str
    points: float
    max_points: float
    reason: str


class _CappedClient(NotebookClient):
    """An nbclient that keeps at most OUTPUT_CAP characters of output per cell.

    A submission that prints megabytes in a loop cannot exhaust the grader's memory.
    """

    def output(self, outs, msg, display_id, cell_index):
        size = sum(len(json.dumps(o.get("text", o.get("data", "")))) for o in outs)
        if size > OUTPUT_CAP and msg["msg_type"] in ("stream", "display_data", "execute_result"):
            return None
        return super().output(outs, msg, display_id, cell_index)


def restore(submission, source):
    """The notebook to run: source cells in source order, the student's answers in place.

    Answer cells are taken from the submission by ``grade_id`` (the source's
    stubbed version if missing); every other source cell is the source's own.
    Cells the student added stay after the graded cell they followed.
    """
    student_answers, extras, last = {}, {}, None
    for cell in submission.cells:
        gid = notebooks.grade_id(cell)
        if gid and notebooks.is_solution(cell):
            student_answers[gid] = cell
        if gid:
            last = gid
        elif cell.cell_type == "code":
            extras.setdefault(last, []).append(cell)
    restored = nbformat.from_dict(source)
    cells = list(extras.get(None, []))
    for cell in restored.cells:
        gid = notebooks.grade_id(cell)
        if notebooks.is_solution(cell):
            answer = student_answers.get(gid)
            if answer is None:
                answer = nbformat.from_dict(cell)
                notebooks.clear_solutions(answer)
            source_metadata = dict(notebooks.nbgrader(cell))
            cell = nbformat.from_dict(answer)
            cell.metadata["nbgrader"] = source_metadata  # the student cannot relabel a cell
        cells.append(cell)
        cells.extend(extras.get(gid, []))
    restored.cells = cells
    for cell in restored.cells:
        notebooks.clear_outputs(cell)
    return restored


def _ipc_config(folder: str) -> Config:
    """Kernels that talk to the grader over IPC sockets in `folder`, not over TCP.

    TCP without encryption is readable by anyone on the machine (and ipykernel
    warns so for every kernel); sockets and the connection file in a folder
    only this user can open are not.
    """
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.connection_file = os.path.join(folder, "kernel.json")  # sockets: kernel-ipc-*
    return config


class _SandboxedClient(_CappedClient):
    """A capped client whose kernel runs in a sandbox, watched for memory and processes."""

    def __init__(self, nb, *, watched: list, **kwargs):
        super().__init__(nb, **kwargs)
        self._watched = watched

    async def async_start_new_kernel(self, **kwargs):
        await super().async_start_new_kernel(**kwargs)
        box = self.km.widgets_sandbox
        self._watched.append(
            sandboxing.Watchdog(
                self.km.provisioner.process.pid, memory_mb=box.memory_mb, max_processes=box.max_processes
            )
        )


def _sandboxed_manager(box: sandboxing.Sandbox, folder: pathlib.Path, uid: int, env: dict):
    """A kernel manager class whose kernel command is wrapped in `box`'s bwrap command, given `env`."""

    class SandboxedKernelManager(AsyncKernelManager):
        widgets_sandbox = box

        def format_kernel_cmd(self, extra_arguments=None):
            argv = super().format_kernel_cmd(extra_arguments)
            if uid >= 0:  # the kernel's own user must read its connection file
                os.chown(self.connection_file, uid, uid)
            return box.command(argv, folder=folder, uid=uid, env=env)

        async def interrupt_kernel(self):
            """Send SIGINT to the kernel itself: bwrap, which the default sends it to, would die."""
            sandboxing.interrupt(self.provisioner.process.pid)

    return SandboxedKernelManager


def execute(nb, *, timeout: float, path: pathlib.Path, env: dict | None = None) -> str:
    """Run `nb` in a fresh kernel within `timeout` seconds; return how the run ended.

    The kernel runs in `path`, unsandboxed, with this process's environment and
    `env`, and talks over IPC sockets in a private temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="widgets-kernel-") as folder:  # mode 0700
        return _execute(nb, timeout=timeout, path=path, config=_ipc_config(folder), env=env)


def execute_sandboxed(
    nb, *, timeout: float, sandbox: sandboxing.Sandbox, env: dict | None = None, records: dict | None = None
) -> tuple[str, list[str]]:
    """Run `nb` in a fresh kernel in `sandbox` within `timeout` seconds.

    The kernel works in a scratch folder holding only a copy of `nb`
    (``$WIDGETS_NOTEBOOK``), with `env`, and talks over IPC sockets in a folder
    beside it. With `records` (a dict), the checks' records
    (``$WIDGETS_RECORDS``, in the scratch folder) are put in ``records["lines"]``.

    Returns
    -------
    tuple of (str, list of str)
        How the run ended, and what the sandbox stopped, in words.
    """
    with tempfile.TemporaryDirectory(prefix="widgets-kernel-") as folder:  # mode 0700
        folder = pathlib.Path(folder)
        (folder / "work").mkdir()
        nbformat.write(nb, str(folder / "work" / "notebook.ipynb"))
        env = {
            **(env or {}),
            "WIDGETS_NOTEBOOK": str(folder / "work" / "notebook.ipynb"),
            "WIDGETS_RECORDS": str(folder / "work" / "records.jsonl"),
        }
        uid = sandbox.prepare(folder, cache=sandboxing.compilation_cache())
        (folder / "ipc").mkdir()
        if uid >= 0:
            os.chown(folder / "ipc", uid, uid)
        watched = []
        ended = _execute(
            nb,
            timeout=timeout,
            path=folder / "work",
            config=_ipc_config(str(folder / "ipc")),
            kernel_manager_class=_sandboxed_manager(sandbox, folder, uid, env),
            watched=watched,
        )
        if records is not None:
            records["lines"] = _read_records(folder / "work" / "records.jsonl")
        stopped = None
        for watchdog in watched:
            watchdog.stop()
            stopped = stopped or watchdog.stopped
        notes = sandboxing.notes(nb, stopped, sandbox)
        if stopped == "memory":
            ended = f"the sandbox stopped the notebook (over {sandbox.memory_mb} MB of memory)"
        elif stopped == "processes":
            ended = "the sandbox stopped the notebook (too many processes)"
        return ended, notes


def _execute(
    nb,
    *,
    timeout: float,
    path: pathlib.Path,
    config: Config,
    kernel_manager_class=None,
    watched: list | None = None,
    env: dict | None = None,
) -> str:
    deadline = time.monotonic() + timeout
    extra = {}
    if kernel_manager_class is not None:
        extra = {"kernel_manager_class": kernel_manager_class, "watched": watched}
    client = (_CappedClient if kernel_manager_class is None else _SandboxedClient)(
        nb,
        timeout=timeout,
        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path)}},
        config=config,
        **extra,
    )
    try:
        # asyncio.run closes its loop: grading threads leave no event loop behind.
        kernel_env = None if kernel_manager_class is not None or not env else {**os.environ, **env}
        asyncio.run(client.async_execute(**({"env": kernel_env} if kernel_env else {})))
    except DeadKernelError:
        return "the kernel died (the notebook crashed it or called os._exit)"
    except CellTimeoutError:
        return f"the notebook ran out of time ({timeout:g} s)"
    except Exception as err:  # noqa: BLE001 - any failure of the run is a reason, not a crash
        return f"the notebook could not be run ({type(err).__name__}: {err})"
    if time.monotonic() > deadline:
        return f"the notebook ran out of time ({timeout:g} s)"
    return "completed"


def _read_records(path: pathlib.Path) -> list[dict]:
    """The checks' records in `path`, one JSON object a line (lines that are not are skipped)."""
    found = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(RECORDS_CAP)
    except OSError:
        return found
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            found.append(entry)
    return found


def cell_sha256(cell) -> str:
    """SHA-256 of a cell's source: what a check records of the cell it ran in."""
    return hashlib.sha256(cell.source.encode()).hexdigest()


def run_and_record(
    nb,
    halves: str,
    *,
    challenge: int,
    timeout: float,
    path,
    notebook: pathlib.Path | None = None,
    sandbox: sandboxing.Sandbox | None = None,
) -> tuple[list[dict], str, list[str]]:
    """Run the notebook with its checks recording `halves` ("answers" or "references").

    Returns the records, how the run ended, and what the sandbox stopped.
    `notebook` is the file the kernel is told it runs (a private copy of `nb` if None).
    """
    env = {"WIDGETS_CHALLENGE": str(challenge), "WIDGETS_GRADING": halves}
    if sandbox is not None:
        records: dict = {}
        ended, notes = execute_sandboxed(nb, timeout=timeout, sandbox=sandbox, env=env, records=records)
        return records.get("lines", []), ended, notes
    with tempfile.TemporaryDirectory(prefix="widgets-records-") as private:  # mode 0700
        private = pathlib.Path(private)
        if notebook is None:
            notebook = private / "restored.ipynb"
            nbformat.write(nb, str(notebook))
        env.update(WIDGETS_RECORDS=str(private / "records.jsonl"), WIDGETS_NOTEBOOK=str(notebook))
        ended = execute(nb, timeout=timeout, path=pathlib.Path(path), env=env)
        return _read_records(private / "records.jsonl"), ended, []


def _by_test_cell(records: list[dict], source) -> dict[str, dict]:
    """The last record of each source test cell, made by that very cell (its code's SHA-256), by grade_id."""
    hashes = {notebooks.grade_id(c): cell_sha256(c) for c in source.cells if notebooks.is_test(c)}
    found = {}
    for entry in records:
        gid = entry.get("grade_id")
        if gid in hashes and entry.get("code_sha256") == hashes[gid]:
            found[gid] = entry
    return found


@dataclasses.dataclass
class Lesson:
    """A source lesson with the reference data of its exercises for this grading run.

    ``references[grade_id]`` is ``{"comparator": verdict name, "data": reference data}``;
    ``hints[grade_id]`` is plain data for :func:`widgets.grading.compare.choose_hint`.
    """

    name: str
    source: nbformat.NotebookNode
    points: dict[str, float]
    references: dict[str, dict]
    hints: dict[str, dict]


def load_lesson(path: pathlib.Path, *, challenge: int, timeout: float) -> Lesson:
    """Read a source lesson and run it once to get the reference of every exercise."""
    path = pathlib.Path(path).resolve()  # the kernel runs in its folder: $WIDGETS_NOTEBOOK must be absolute
    source = notebooks.read(path)
    points = {
        notebooks.grade_id(c): float(notebooks.nbgrader(c).get("points", 0))
        for c in source.cells
        if notebooks.is_test(c)
    }
    records, ended, _ = run_and_record(
        nbformat.from_dict(source),
        "references",
        challenge=challenge,
        timeout=timeout,
        path=path.parent,
        notebook=path,
    )
    found = _by_test_cell(records, source)
    missing = [gid for gid in points if found.get(gid, {}).get("reference") is None]
    if missing:
        said = {gid: found[gid].get("detail", "") for gid in missing if gid in found}
        raise RuntimeError(f"the source lesson {path.name} gave no reference for {missing} ({ended}; {said})")
    return Lesson(
        path.stem,
        source,
        points,
        {gid: {"comparator": r["check"], "data": r["reference"]} for gid, r in found.items()},
        {gid: r["hints"] for gid, r in found.items()},
    )


def grade_submission(
    student: str,
    path: pathlib.Path,
    lesson: Lesson,
    *,
    challenge: int,
    timeout: float,
    sandbox: sandboxing.Sandbox | None = None,
    notes: list[str] | None = None,
) -> list[Row]:
    """Grade one submission; never raises for anything the submission does.

    With a `sandbox` the kernel runs in it, and what it stopped is appended to `notes`.
    """
    try:
        submission = notebooks.read(path)
        nb = restore(submission, lesson.source)
    except Exception as err:  # noqa: BLE001 - an unreadable notebook scores 0 with a reason
        reason = f"the submission could not be read ({type(err).__name__}: {err})"
        return [Row(student, lesson.name, gid, 0.0, pts, reason) for gid, pts in lesson.points.items()]
    records, ended, found = run_and_record(
        nb, "answers", challenge=challenge, timeout=timeout, path=path.parent, sandbox=sandbox
    )
    if notes is not None:
        notes.extend(found)
    answers = _by_test_cell(records, lesson.source)
    rows = []
    for gid, max_points in lesson.points.items():
        record, earned = answers.get(gid), 0.0
        if record is None:
            reason = f"no answer was read: {ended}" if ended != "completed" else "no answer was read"
        elif record.get("state") in ("open", "blocked"):
            said = NOT_ANSWERED if record["state"] == "open" else NOT_CHECKED
            reason = f"{said}: {record.get('detail', '')}"
        elif record.get("answer") is None:  # the answer raised
            reason = f"no answer: {record.get('detail', '')}"
        else:
            reference = lesson.references[gid]
            passed, reason = verdict(reference["comparator"], record["answer"], reference["data"])
            earned = max_points if passed else 0.0
        rows.append(Row(student, lesson.name, gid, earned, max_points, reason))
    return rows


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(
        f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
        f"submissions, {time.monotonic() - started:.0f} s"
    )
    sys.stderr.flush()


def grade(
    submissions_dir,
    source_dir,
    out_dir,
    *,
    timeout: float = 300.0,
    jobs: int | None = None,
    challenge: int | None = None,
    progress: bool = True,
    sandbox: bool = True,
    memory_mb: int = sandboxing.MEMORY_MB,
    max_processes: int = sandboxing.MAX_PROCESSES,
) -> list[Row]:
    """Grade every ``<student>/<lesson>.ipynb`` and write the reports; return the rows.

    Writes ``grades.csv`` and ``grades.json`` (one row per student, lesson and
    exercise) and ``feedback/<student>.md`` (points, reasons and hints, never
    the hidden tests) into `out_dir`. Every folder in `submissions_dir` is a
    student; a lesson missing from it scores 0 with the reason "not submitted".

    `timeout` is the seconds each submission may run; the source lessons, run
    once for their references, may run ``SOURCE_TIMEOUT`` seconds or
    `timeout` if longer.

    Each submission's kernel runs in a bubblewrap sandbox with `memory_mb` of
    memory and `max_processes` processes and threads; if none can start here
    this raises :class:`widgets.grading.sandbox.Unavailable` (a ValueError)
    saying what to install, unless `sandbox` is False, which grades without one
    and says so in ``grades.json`` and every feedback file.
    """
    submissions_dir, source_dir, out_dir = (pathlib.Path(p) for p in (submissions_dir, source_dir, out_dir))
    if not submissions_dir.is_dir():
        raise ValueError(f"SUBMISSIONS_DIR {submissions_dir} is not a folder")
    sources = {p.stem: p for p in sorted(source_dir.glob("*.ipynb"))}
    if not sources:
        raise ValueError(f"--source {source_dir} holds no lessons (*.ipynb)")
    if timeout <= 0:
        raise ValueError(f"--timeout must be > 0 seconds; got {timeout}")
    challenge = secrets.randbelow(10**6) if challenge is None else int(challenge)
    jobs = len(os.sched_getaffinity(0)) if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1; got {jobs}")

    box = None
    if sandbox:
        sandboxing.check()
        out_dir.mkdir(parents=True, exist_ok=True)  # so that the sandbox can hide it
        hidden = [submissions_dir, source_dir, out_dir]
        box = sandboxing.Sandbox(hidden=hidden, memory_mb=memory_mb, max_processes=max_processes)

    students = [d for d in sorted(submissions_dir.iterdir()) if d.is_dir()]
    work = [
        (d.name, d / f"{name}.ipynb") for d in students for name in sources if (d / f"{name}.ipynb").is_file()
    ]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        loaded = pool.map(
            lambda path: load_lesson(path, challenge=challenge, timeout=max(timeout, SOURCE_TIMEOUT)),
            sources.values(),
        )
        lessons = dict(zip(sources, loaded, strict=True))
        notes = {(student, path.stem): [] for student, path in work}
        futures = [
            pool.submit(
                grade_submission,
                student,
                path,
                lessons[path.stem],
                challenge=challenge,
                timeout=timeout,
                sandbox=box,
                notes=notes[student, path.stem],
            )
            for student, path in work
        ]
        rows, done = [], 0
        if progress:
            _progress(0, len(futures), started)
        for future in concurrent.futures.as_completed(futures):
            rows.extend(future.result())
            done += 1
            if progress:
                _progress(done, len(futures), started)
    if progress:
        sys.stderr.write("\n")
    for folder in students:
        rows.extend(not_submitted(folder, lessons))
    rows.sort(key=lambda r: (r.student, r.lesson, list(lessons[r.lesson].points).index(r.grade_id)))
    sandboxed = None
    if box is not None:
        sandboxed = {"memory_mb": box.memory_mb, "max_processes": box.max_processes}
    write_reports(rows, lessons, out_dir, challenge=challenge, sandbox=sandboxed, notes=notes)
    return rows


NOT_SUBMITTED = "not submitted"


def not_submitted(folder: pathlib.Path, lessons: dict[str, Lesson]) -> list[Row]:
    """Rows of 0 points for each lesson that `folder` (one student's) holds no notebook of."""
    strays = sorted(p.name for p in folder.glob("*.ipynb") if p.stem not in lessons)
    found = f" (the folder holds {', '.join(strays)}, which match no lesson)" if strays else ""
    return [
        Row(
            folder.name,
            name,
            gid,
            0.0,
            points,
            f"{NOT_SUBMITTED}: no {name}.ipynb in the student's folder{found}",
        )
        for name, lesson in lessons.items()
        if not (folder / f"{name}.ipynb").is_file()
        for gid, points in lesson.points.items()
    ]


NO_SANDBOX = "Graded without a sandbox: the notebook ran with the instructor's rights, files and network."


def _feedback_lines(lesson: Lesson, mine: list[Row], notes: list[str] = ()) -> list[str]:
    earned, possible = sum(r.points for r in mine), sum(r.max_points for r in mine)
    if all(r.reason.startswith(NOT_SUBMITTED) for r in mine):
        why = mine[0].reason.removeprefix(f"{NOT_SUBMITTED}: ")
        return [
            f"## {lesson.name}: not submitted, {earned:g} of {possible:g} points",
            "",
            f"Not submitted: {why}.",
            "",
        ]
    lines = [f"## {lesson.name}: {earned:g} of {possible:g} points", ""]
    for r in mine:
        line = f"- {r.grade_id}: {r.points:g} / {r.max_points:g} ({r.reason})"
        if r.points < r.max_points:
            hint = choose_hint(lesson.hints[r.grade_id], r.reason)
            line += f". Hint: {hint}" + ("" if hint.endswith((".", "?", "!")) else ".")
        lines.append(line)
    if notes:
        lines += ["", "The grading sandbox stopped something in this notebook:"]
        lines += [f"- {note}." for note in notes]
    return lines + [""]


def write_reports(
    rows: list[Row],
    lessons: dict[str, Lesson],
    out_dir: pathlib.Path,
    *,
    challenge: int,
    sandbox: dict | None = None,
    notes: dict | None = None,
) -> None:
    """grades.csv, grades.json and one feedback file per student.

    `sandbox` is the sandbox's limits, None if grading ran without one (which
    ``grades.json`` and every feedback file then say); `notes` maps (student,
    lesson) to what the sandbox stopped in that notebook.
    """
    notes = notes or {}
    out_dir.mkdir(parents=True, exist_ok=True)
    fields = [f.name for f in dataclasses.fields(Row)]
    with open(out_dir / "grades.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(dataclasses.asdict(r) for r in rows)
    (out_dir / "grades.json").write_text(
        json.dumps(
            {
                "challenge": challenge,
                "sandbox": sandbox if sandbox is not None else False,
                "sandbox_notes": [
                    {"student": s, "lesson": lesson, "notes": found}
                    for (s, lesson), found in sorted(notes.items())
                    if found
                ],
                "rows": [dataclasses.asdict(r) for r in rows],
            },
            indent=1,
        )
    )
    feedback = out_dir / "feedback"
    feedback.mkdir(exist_ok=True)
    for student in sorted({r.student for r in rows}):
        lines = [f"# Feedback for {student}", ""]
        if sandbox is None:
            lines += [NO_SANDBOX, ""]
        for lesson in sorted({r.lesson for r in rows if r.student == student}):
            lines += _feedback_lines(
                lessons[lesson],
                [r for r in rows if r.student == student and r.lesson == lesson],
                notes.get((student, lesson), []),
            )
        (feedback / f"{student}.md").write_text("\n".join(lines))

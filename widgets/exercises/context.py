"""Where a check runs: run mode and challenge, the notebook file and its points, the source, records.

The kernel cannot see cell metadata, so a check reads its own notebook from
disk to learn the points of its test cell (nbgrader's metadata, the one place
points live). The notebook is, in order: ``$WIDGETS_NOTEBOOK`` (set by the kit's
grader); ``__session__`` (set by ipykernel from Jupyter's session); VS Code's
``__vsc_ipynb_file__``; the ``*.ipynb`` in the working folder that holds a test
cell with the grade_id (nbval, ``nbgrader validate`` and ``autograde`` run the
kernel in the notebook's folder). grade_ids must therefore be unique across a
lesson folder.

Environment:

``WIDGETS_CHALLENGE``
    Seed of the checks' own inputs and draws. Unset: a new random one for each
    kernel under nbgrader (``NBGRADER_EXECUTION`` set), else 0, the fixed inputs
    of instant feedback.
``WIDGETS_NOTEBOOK``
    The notebook file the kernel runs.
``WIDGETS_RECORDS``
    A file to which every check appends one JSON line for the kit's grader.
``WIDGETS_GRADING``
    ``answers`` or ``references``: which half of each check the records hold (both if unset).
``WIDGETS_NBGRADER_SOURCE``
    Under ``NBGRADER_EXECUTION=autograde``: nbgrader's source folder, where the
    lesson's multiple-choice keys and reference modules are read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import secrets
from collections.abc import Mapping

from widgets.grading import notebooks

_drawn: list[int] = []  # the challenge drawn for this kernel under nbgrader


def challenge() -> int:
    """The seed of the checks' own inputs: ``$WIDGETS_CHALLENGE``, a random draw under nbgrader, or 0."""
    if os.environ.get("WIDGETS_CHALLENGE", "").strip():
        return int(os.environ["WIDGETS_CHALLENGE"])
    if os.environ.get("NBGRADER_EXECUTION"):
        if not _drawn:
            _drawn.append(secrets.randbelow(10**6))
        return _drawn[0]
    return 0


def grading_mode() -> str:
    """``"answers"``, ``"references"`` or ``""``: which half of each check the records hold."""
    return os.environ.get("WIDGETS_GRADING", "").strip()


@functools.lru_cache(maxsize=16)
def _read(path: str, mtime: float):
    return notebooks.read(path)


def read(path) -> object | None:
    """The notebook at `path` (cached by path and modification time), or None if it cannot be read."""
    try:
        return _read(str(path), os.stat(path).st_mtime)
    except Exception:  # noqa: BLE001 - a notebook we cannot read is one we do not know
        return None


def test_cell(nb, grade_id: str):
    """The test cell of `grade_id` in `nb`, or None."""
    return next((c for c in nb.cells if notebooks.is_test(c) and notebooks.grade_id(c) == grade_id), None)


def notebook_path(grade_id: str | None, ns: Mapping) -> pathlib.Path | None:
    """The notebook file this kernel runs (see the module docstring for the order), or None."""
    named = (os.environ.get("WIDGETS_NOTEBOOK"), ns.get("__session__"), ns.get("__vsc_ipynb_file__"))
    for candidate in named:
        if candidate and str(candidate).endswith(".ipynb") and os.path.isfile(candidate):
            return pathlib.Path(candidate)
    if grade_id is None:
        return None
    for path in sorted(pathlib.Path.cwd().glob("*.ipynb")):
        nb = read(path)
        if nb is not None and test_cell(nb, grade_id) is not None:
            return path
    return None


def points(grade_id: str, ns: Mapping) -> int | None:
    """The points of `grade_id`'s test cell, from its notebook's nbgrader metadata; None if unknown."""
    path = notebook_path(grade_id, ns)
    nb = read(path) if path else None
    cell = test_cell(nb, grade_id) if nb is not None else None
    if cell is None or "points" not in notebooks.nbgrader(cell):
        return None
    value = float(notebooks.nbgrader(cell)["points"])
    return int(value) if value.is_integer() else value


def exercises(nb) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every test cell of `nb` that calls ``lesson.check``, in cell order."""
    rows = []
    for cell in nb.cells:
        if notebooks.is_test(cell) and "lesson.check(" in cell.source:
            value = float(notebooks.nbgrader(cell).get("points", 0))
            rows.append((notebooks.grade_id(cell), int(value) if value.is_integer() else value))
    return rows


def source_folder(grade_id: str | None, ns: Mapping) -> pathlib.Path:
    """Where the lesson's source lives: nbgrader's source folder under autograde, else the notebook's."""
    nbgrader_source = os.environ.get("WIDGETS_NBGRADER_SOURCE")
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and nbgrader_source:
        return pathlib.Path(nbgrader_source) / pathlib.Path.cwd().name
    path = notebook_path(grade_id, ns)
    return path.parent if path else pathlib.Path.cwd()


def choice_key(grade_id: str, name: str, ns: Mapping) -> dict:
    """How to know the right option of multiple-choice `grade_id`, whose answer is variable `name`.

    Returns ``{"key": option}`` from a source's solution (nbgrader's source
    under autograde), else ``{"digest": {salt, sha256}}`` from the test cell's
    ``metadata.widgets`` (written by release), else ``{"key": option}`` from the
    running notebook's own solution (the source lesson), else ``{}``. The digest
    comes before the running notebook's solution, so a solution region added to
    a student's copy does not count.
    """
    path = notebook_path(grade_id, ns)
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and os.environ.get("WIDGETS_NBGRADER_SOURCE"):
        source = read(source_folder(grade_id, ns) / path.name) if path else None
        key = notebooks.solution_value(source, name) if source is not None else None
        if key is not None:
            return {"key": str(key)}
    nb = read(path) if path else None
    if nb is None:
        return {}
    cell = test_cell(nb, grade_id)
    stored = cell.get("metadata", {}).get("widgets", {}) if cell is not None else {}
    if "salt" in stored and "sha256" in stored:
        return {"digest": {"salt": stored["salt"], "sha256": stored["sha256"]}}
    key = notebooks.solution_value(nb, name)
    return {"key": str(key)} if key is not None else {}


def cell_code() -> str | None:
    """The source of the cell the kernel is running, or None outside a kernel."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        if kernel is None:
            return None
        return kernel.get_parent("shell")["content"]["code"]
    except Exception:  # noqa: BLE001 - outside a kernel there is no cell
        return None


def code_sha256(code: str | None) -> str | None:
    """SHA-256 of a cell's source, as the grader computes it for the source's test cells."""
    return None if code is None else hashlib.sha256(code.encode()).hexdigest()


def record(entry: dict) -> None:
    """Append `entry` as one JSON line to ``$WIDGETS_RECORDS``, if set."""
    path = os.environ.get("WIDGETS_RECORDS")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")

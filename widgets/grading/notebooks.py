"""Notebook surgery with nbgrader's conventions: metadata, solution and hidden-test regions."""

from __future__ import annotations

import re

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# What replaces a solution region in a student's version. Neither raises, so
# "Run All" runs on past an open exercise, whose check then says it is not
# answered yet. In a block (a function's body) the stub is a statement that
# does nothing; at the top of a cell it is only the comment, so the answer's
# names stay undefined and the cell shows no output.
CODE_STUB = "# YOUR CODE HERE\n..."
TOP_LEVEL_STUB = "# YOUR CODE HERE"
TEXT_STUB = "YOUR ANSWER HERE"


def nbgrader(cell) -> dict:
    """The cell's nbgrader metadata (empty if it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    """The cell's nbgrader grade_id, if any."""
    return nbgrader(cell).get("grade_id")


def is_solution(cell) -> bool:
    """An answer cell: the student writes here."""
    return bool(nbgrader(cell).get("solution"))


def is_test(cell) -> bool:
    """A graded test cell, worth points."""
    return bool(nbgrader(cell).get("grade")) and not is_solution(cell)


def is_locked(cell) -> bool:
    """A cell the student must not change (text, setup, tests)."""
    meta = nbgrader(cell)
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def _replace_regions(
    source: str, begin: str, end: str, stub: str | None, *, top_level_stub: str | None = None
) -> str:
    """Replace each begin..end region (markers included) by `stub` at the region's indentation.

    A region that is not indented gets `top_level_stub` instead, if given.
    """
    lines, out, inside, indent = source.split("\n"), [], False, ""
    for line in lines:
        stripped = line.strip()
        if not inside and stripped == begin:
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            continue
        if inside and stripped == end:
            inside = False
            text = top_level_stub if top_level_stub is not None and not indent else stub
            if text is not None:
                out.extend(indent + stub_line for stub_line in text.split("\n"))
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a cell opens {begin!r} without closing it with {end!r}")
    return "\n".join(out)


def clear_solutions(cell) -> None:
    """Replace the solution regions of an answer cell with a stub (see CODE_STUB)."""
    code = cell.cell_type == "code"
    stub, top = (CODE_STUB, TOP_LEVEL_STUB) if code else (TEXT_STUB, TEXT_STUB)
    if BEGIN_SOLUTION in cell.source:
        cell.source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, top_level_stub=top)
    elif is_solution(cell):
        cell.source = top


def remove_hidden_tests(cell) -> None:
    """Remove the hidden-test regions of a cell, markers and all."""
    if BEGIN_HIDDEN in cell.source:
        cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, None).rstrip("\n")


def clear_outputs(cell) -> None:
    """Remove outputs and execution counts."""
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    cell.get("metadata", {}).pop("execution", None)


def read(path) -> nbformat.NotebookNode:
    """Read a notebook (nbformat 4)."""
    return nbformat.read(str(path), as_version=4)


def write(nb, path) -> None:
    """Validate and write a notebook."""
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


def solution_text(source: str) -> list[str]:
    """The non-blank lines inside solution regions of `source` (to check they are gone)."""
    found = re.findall(rf"{re.escape(BEGIN_SOLUTION)}\n(.*?)\n\s*{re.escape(END_SOLUTION)}", source, re.S)
    return [line.strip() for block in found for line in block.split("\n") if line.strip()]

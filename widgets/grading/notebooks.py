"""Notebook surgery with nbgrader's conventions: metadata, solution and hidden-test regions."""

from __future__ import annotations

import ast
import hashlib
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


def solution_regions(source: str) -> list[str]:
    """The code inside each solution region of `source`, dedented (markers excluded)."""
    regions, inside, block, indent = [], False, [], ""
    for line in source.split("\n"):
        stripped = line.strip()
        if not inside and stripped == BEGIN_SOLUTION:
            inside, block, indent = True, [], line[: len(line) - len(line.lstrip())]
        elif inside and stripped == END_SOLUTION:
            inside = False
            regions.append("\n".join(b[len(indent) :] if b.startswith(indent) else b for b in block))
        elif inside:
            block.append(line)
    return regions


def solution_value(nb, name: str):
    """The literal assigned to `name` in a solution region of `nb` (``answer_x = "B"``), or None.

    Only a plain literal counts (:func:`ast.literal_eval`); a region that does
    not parse, or computes its value, gives None.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_solution(cell):
            continue
        for region in solution_regions(cell.source):
            try:
                tree = ast.parse(region)
            except SyntaxError:
                continue
            for node in tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
                    and isinstance(node.value, ast.Constant)
                ):
                    return node.value.value
    return None


def digest(option: str, salt: str) -> str:
    """The salted SHA-256 of a multiple-choice option, as :func:`widgets.checks.choice.digest` makes it.

    Repeated here so that grading imports none of the checks (they import the inference boundary).
    """
    return hashlib.sha256(f"{salt}:{str(option).strip().upper()}".encode()).hexdigest()


def check_call(cell) -> dict | None:
    """What a test cell's ``lesson.check(grade_id, answers, check(...), ...)`` call names, or None.

    Returns
    -------
    dict or None
        ``{"grade_id": str, "answers": [str, ...], "check": the check's name}``,
        read from the source with :mod:`ast` (nothing is run); None if the cell
        holds no such call.
    """
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "check"
            and len(node.args) >= 3
        ):
            continue
        gid, answers, check = node.args[:3]
        names = [answers] if isinstance(answers, ast.Constant) else getattr(answers, "elts", [])
        called = check.func if isinstance(check, ast.Call) else None
        name = getattr(called, "id", None) or getattr(called, "attr", None)
        if isinstance(gid, ast.Constant) and all(isinstance(n, ast.Constant) for n in names):
            return {"grade_id": gid.value, "answers": [n.value for n in names], "check": name}
    return None

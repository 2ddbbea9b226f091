"""Write student versions of the lessons: solutions stubbed, keys digested, outputs cleared, leaks checked.

A released notebook holds no answer key. What instant feedback on a
multiple-choice exercise needs is a digest of the right option, salted anew
for every release, in the test cell's ``metadata.widgets``. A source with
hidden-test regions is refused: nbgrader shows their code in a failing
check's traceback, so checks that draw new inputs when graded replace them.
``*_reference.py`` modules beside a lesson are never copied.
"""

from __future__ import annotations

import pathlib
import secrets

from widgets.grading import notebooks


def write_keys(nb) -> None:
    """Write ``metadata.widgets = {salt, sha256}`` on each ``one_of`` test cell of source `nb`, salted anew.

    Raises
    ------
    ValueError
        If a multiple-choice answer is not a literal in a solution region, or
        its check is not written where this reads it, naming the cell.
    """
    for cell in nb.cells:
        call = notebooks.check_call(cell) if notebooks.is_test(cell) else None
        if notebooks.is_test(cell) and "one_of(" in cell.source and (call or {}).get("check") != "one_of":
            # Released without a digest, the choice could only be checked when graded.
            raise ValueError(
                f"[{notebooks.grade_id(cell)}] test cell: give lesson.check the grade_id, the answer's name "
                'and one_of(...) as its first three arguments, by position: lesson.check("q1", "answer_q1", '
                'one_of("ABCD"), hint=...)'
            )
        if call is None or call["check"] != "one_of":
            continue
        key = notebooks.solution_value(nb, call["answers"][0])
        if key is None:
            raise ValueError(
                f"[{call['grade_id']}] test cell: no literal `{call['answers'][0]} = ...` in a solution "
                "region to take the multiple-choice key from"
            )
        salt = secrets.token_hex(16)
        cell.metadata["widgets"] = {"salt": salt, "sha256": notebooks.digest(str(key), salt)}


def refuse_hidden_tests(nb, name: str = "the notebook") -> None:
    """Raise ValueError naming the first cell of `nb` with a hidden-test region."""
    for index, cell in enumerate(nb.cells):
        if notebooks.BEGIN_HIDDEN in cell.get("source", ""):
            where = notebooks.grade_id(cell) or f"cell {index}"
            raise ValueError(
                f"{name} [{where}]: hidden-test regions are not released (nbgrader shows their code in "
                "feedback); use a check that draws new inputs when graded instead"
            )


def release_notebook(nb, *, name: str = "the notebook"):
    """Return the student version of source notebook `nb` (a new notebook)."""
    refuse_hidden_tests(nb, name)
    student = notebooks.nbformat.from_dict(nb)
    write_keys(student)
    for cell in student.cells:
        if notebooks.is_solution(cell):
            notebooks.clear_solutions(cell)
        notebooks.clear_outputs(cell)
    student.metadata.pop("widgets", None)
    return student


def secret_lines(sources) -> set[str]:
    """Lines of the notebooks' solution regions that none of them shows elsewhere: what must not be released.

    A line that a lesson shows outside its solution regions (say, a model
    printed for the next lesson) is public, in every lesson of the folder.
    """
    public = {
        line.strip()
        for nb in sources
        for c in nb.cells
        for line in notebooks._replace_regions(
            c.source, notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION, None
        ).split("\n")
    }
    return {
        line
        for nb in sources
        for c in nb.cells
        for line in notebooks.solution_text(c.source)
        if line not in public
    }


def leak_scan(release_dir, source_dir) -> list[str]:
    """What in `release_dir` would give an answer away, one line per problem (empty if nothing).

    Looks for: any solution line of a source lesson, a ``*_reference.py``
    module, solution or hidden-test markers, and a multiple-choice test cell
    without its digest.
    """
    release_dir, source_dir = pathlib.Path(release_dir), pathlib.Path(source_dir)
    problems = [
        f"{p.name}: a reference module was released" for p in sorted(release_dir.rglob("*_reference.py"))
    ]
    every_secret = secret_lines([notebooks.read(p) for p in sorted(source_dir.glob("*.ipynb"))])
    for path in sorted(release_dir.glob("*.ipynb")):
        nb = notebooks.read(path)
        for cell in nb.cells:
            where = f"{path.name} [{notebooks.grade_id(cell) or 'a cell without grade_id'}]"
            lines = {line.strip() for line in cell.source.split("\n")}
            leaked = sorted(lines & every_secret)
            if leaked:
                problems.append(f"{where}: holds the solution line {leaked[0]!r}")
            for marker in (notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION, notebooks.BEGIN_HIDDEN):
                if marker in cell.source:
                    problems.append(f"{where}: holds the marker {marker!r}")
            call = notebooks.check_call(cell) if notebooks.is_test(cell) else None
            if (
                call
                and call["check"] == "one_of"
                and "sha256" not in cell.get("metadata", {}).get("widgets", {})
            ):
                problems.append(f"{where}: a multiple-choice test cell without its digest")
    return problems


def release(source_dir, out_dir) -> list[pathlib.Path]:
    """Release every ``*.ipynb`` of `source_dir` into `out_dir`; return the written paths.

    Raises
    ------
    ValueError
        If `source_dir` holds no notebooks, `out_dir` is `source_dir` (the
        lessons with their solutions would be overwritten), a source has
        hidden-test regions, or the release would leak an answer (:func:`leak_scan`).
    """
    source_dir, out_dir = pathlib.Path(source_dir), pathlib.Path(out_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise ValueError(f"SOURCE_DIR {source_dir} holds no notebooks (*.ipynb)")
    if out_dir.resolve() == source_dir.resolve():
        raise ValueError("OUT_DIR must differ from SOURCE_DIR: releasing would overwrite the solutions")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        target = out_dir / path.name
        notebooks.write(release_notebook(notebooks.read(path), name=path.name), target)
        written.append(target)
    problems = leak_scan(out_dir, source_dir)
    if problems:
        raise ValueError("the release would give answers away:\n" + "\n".join(problems))
    return written

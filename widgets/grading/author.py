"""Check a folder of source lessons before release: every mistake an instructor can make, one line each.

``python -m widgets.grading check SOURCE_DIR`` calls :func:`check_source`.

The static checks read the notebooks (nbformat and :mod:`ast`; no kernel):

* every nbgrader cell has a grade_id, unique across the folder;
* each test cell has points > 0, is locked, and is exactly one
  ``lesson.check("<its own grade_id>", answer names, check(...), ...)`` call,
  the first three arguments by position (release reads them so);
* no hidden-test region anywhere;
* each answer name is assigned in an answer cell above its test cell, every
  answer cell is named by some check, and ``needs=`` names answers of
  exercises above;
* a code cell that calls ``lesson.check`` is a test cell, and a cell above it
  makes ``lesson``;
* solution markers are balanced, sit in answer cells, and enclose code;
* a ``one_of`` answer's solution is a literal among the options;
* a ``lesson.reference(name)`` is defined in ``<stem>_reference.py`` beside the notebook;
* a markdown "(N points)" above a test cell says what its metadata says.

The dynamic checks run what the grader runs (:mod:`widgets.grading.grade`,
:mod:`widgets.grading.release`): each source lesson, in ``references`` mode,
at challenge 0 and at one random challenge, must give every test cell a
``correct`` record, with no error and no stderr output (nbgrader zeroes a cell
that writes to stderr); the release must run top to bottom without an error,
score 0 in every test cell, and pass the leak scan. They run only when the
static checks find nothing, since a broken notebook would only repeat its
static problems as errors.
"""

from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import os
import pathlib
import re
import secrets
import tempfile
import time
from collections.abc import Callable

from IPython.core.inputtransformer2 import TransformerManager

from widgets.grading import grade, notebooks, release

POINTS_IN_TEXT = re.compile(r"\((\d+(?:\.\d+)?)\s*points?\)", re.IGNORECASE)
GRADE_ID = re.compile(r"^[A-Za-z0-9_\-]+$")  # nbgrader's metadata schema (nbgraderformat/v3.json)
CALL_SHAPE = 'lesson.check("<grade_id>", "answer_name", check(...), hint=...)'


@dataclasses.dataclass(frozen=True)
class Problem:
    """One mistake in a source lesson.

    Attributes
    ----------
    notebook : str
        The notebook's path, as the folder was given (or the folder, for the release).
    where : str or None
        The cell's grade_id, or ``"cell N"`` (0-based) for a cell without one; None for the whole notebook.
    message : str
        What is wrong, in one sentence.
    """

    notebook: str
    where: str | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.notebook} [{self.where}] {self.message}"
            if self.where
            else f"{self.notebook} {self.message}"
        )


@dataclasses.dataclass
class Report:
    """What :func:`check_source` found.

    Attributes
    ----------
    problems : list of Problem
        Every mistake found, in notebook and cell order; empty if none.
    notebooks, exercises : int
        How many source notebooks and test cells the folder holds.
    points : float
        The points of all test cells.
    challenge : int or None
        The random challenge the sources ran at; None if they did not run.
    """

    problems: list[Problem]
    notebooks: int
    exercises: int
    points: float
    challenge: int | None = None


def check_source(
    source_dir,
    *,
    release_dir=None,
    static: bool = False,
    challenge: int | None = None,
    timeout: float = 300.0,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check every lesson in `source_dir` as the grader and the release will use it.

    Parameters
    ----------
    source_dir : path
        Folder of source lessons (``*.ipynb``, with solutions) and their ``*_reference.py``.
    release_dir : path, optional
        Where to write the release (kept); a temporary folder by default.
    static : bool
        Only the static checks: no kernel runs, no release.
    challenge : int, optional
        The random challenge of the second source run (a new one by default).
    timeout : float
        Seconds per notebook run.
    jobs : int, optional
        Notebook runs at once (default: the cores available).
    progress : callable, optional
        Called with one line of text as each notebook run ends.

    Returns
    -------
    Report
        The problems (empty if the folder is ready to release) and the folder's counts.

    Raises
    ------
    ValueError
        If `source_dir` is not a folder of notebooks, `release_dir` is `source_dir`, or
        `timeout` or `jobs` is not positive.
    """
    source_dir = pathlib.Path(source_dir)
    paths = sorted(source_dir.glob("*.ipynb")) if source_dir.is_dir() else []
    if not paths:
        raise ValueError(f"SOURCE_DIR {source_dir} holds no notebooks (*.ipynb)")
    if release_dir is not None and pathlib.Path(release_dir).resolve() == source_dir.resolve():
        raise ValueError("--release OUT must differ from SOURCE_DIR: releasing would overwrite the solutions")
    if timeout <= 0:
        raise ValueError(f"--timeout must be > 0 seconds; got {timeout}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"--jobs must be >= 1; got {jobs}")
    problems, read, seen = [], {}, {}
    for path in paths:
        try:
            read[path] = notebooks.read(path)
        except Exception as err:  # noqa: BLE001 - an unreadable notebook is a problem to report
            problems.append(
                Problem(str(path), None, f"cannot be read as a notebook ({type(err).__name__}: {err})")
            )
            continue
        problems += _static_problems(path, read[path], seen)
    tests = [c for nb in read.values() for c in nb.cells if notebooks.is_test(c)]
    report = Report(problems, len(paths), len(tests), sum(_points(c) or 0 for c in tests))
    if static or problems:
        return report
    report.challenge = secrets.randbelow(10**6) if challenge is None else int(challenge)
    with tempfile.TemporaryDirectory(prefix="widgets-check-release-") as scratch:
        out = pathlib.Path(release_dir) if release_dir is not None else pathlib.Path(scratch)
        report.problems += _dynamic_problems(
            source_dir, paths, out, challenge=report.challenge, timeout=timeout, jobs=jobs, progress=progress
        )
    return report


# --- static checks -------------------------------------------------------------------------------


def _where(cell, index: int) -> str:
    return notebooks.grade_id(cell) or f"cell {index}"


def _points(cell) -> float | None:
    """The test cell's points as a number, or None if missing or not a number."""
    value = notebooks.nbgrader(cell).get("points")
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parse(source: str) -> ast.Module | None:
    """The cell's code as Python (IPython's magics turned into calls first), or None if it does not parse."""
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _bound(tree: ast.AST | None) -> set[str]:
    """The names a cell binds in the notebook's namespace: assigned, defined, imported, loop targets."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return  # what a function or class binds inside is its own
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    if tree is not None:
        visit(tree)
    return names


def _literal(node: ast.AST | None):
    """`node`'s literal value, or raise ValueError."""
    if node is None:
        raise ValueError("no value")
    return ast.literal_eval(node)


@dataclasses.dataclass
class _Call:
    """What a test cell's ``lesson.check`` call declares, read from its source."""

    grade_id: str
    answers: list[str]
    check: str | None
    check_node: ast.Call | None
    needs: list[str]


def _lesson_calls(tree: ast.AST | None, method: str) -> list[ast.Call]:
    """The ``lesson.<method>(...)`` calls in `tree`, in the order :func:`ast.walk` meets them."""
    return [
        n
        for n in (ast.walk(tree) if tree is not None else ())
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == method
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "lesson"
    ]


def _read_call(cell) -> tuple[_Call | None, str | None]:
    """The test cell's one ``lesson.check`` call, or why the cell is not one."""
    tree = _parse(cell.source)
    if tree is None:
        try:
            ast.parse(cell.source)
        except SyntaxError as err:
            return None, f"test cell: does not parse as Python ({err.msg}, line {err.lineno})"
        return None, "test cell: does not parse as Python"
    calls = _lesson_calls(tree, "check")
    if not calls:
        return None, f"test cell: holds no lesson.check call; a test cell is exactly one, {CALL_SHAPE}"
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr) or tree.body[0].value is not calls[0]:
        return None, (
            "test cell: must be exactly one lesson.check(...) call and nothing else (its value is the "
            "cell's points: nbgrader reads them from the cell's output)"
        )
    call = calls[0]
    keywords = {k.arg for k in call.keywords}
    if len(call.args) < 3:
        by_name = sorted(keywords & {"answers", "check"})
        said = f" ({', '.join(by_name)} given by name)" if by_name else ""
        return None, (
            f"test cell: give the grade_id, the answer name(s) and the check as the first three arguments, "
            f"by position{said}: release reads them so, e.g. {CALL_SHAPE}"
        )
    gid, answers, check = call.args[:3]
    if not (isinstance(gid, ast.Constant) and isinstance(gid.value, str)):
        return None, "test cell: the first argument of lesson.check must be the grade_id, as a string"
    elts = [answers] if isinstance(answers, ast.Constant) else getattr(answers, "elts", None)
    if not elts or not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts):
        return None, (
            'test cell: the answers must be a variable name as a string ("mean_x") or a list of them '
            '(["x_data", "y_data"]), not the variables themselves'
        )
    if not isinstance(check, ast.Call):
        return None, (
            'test cell: the check must be written in the call, e.g. one_of("ABCD") or close(2.5, atol=0.01), '
            "so that release can read it"
        )
    name = getattr(check.func, "id", None) or getattr(check.func, "attr", None)
    needs: list[str] = []
    for keyword in call.keywords:
        if keyword.arg == "needs":
            try:
                needs = [str(n) for n in _literal(keyword.value)]
            except (ValueError, TypeError, SyntaxError):
                return None, 'test cell: needs= must be a list of variable names as strings, e.g. ["x_data"]'
    return _Call(gid.value, [e.value for e in elts], name, check, needs), None


def _marker_problems(cell) -> list[str]:
    """Unbalanced, misplaced, empty or misspelt solution markers in `cell`."""
    found, inside, region = [], False, []
    for line in cell.source.split("\n"):
        stripped = line.strip()
        if stripped == notebooks.BEGIN_SOLUTION:
            if inside:
                found.append(f"opens a second {notebooks.BEGIN_SOLUTION!r} before closing the first")
            inside, region = True, []
        elif stripped == notebooks.END_SOLUTION:
            if not inside:
                found.append(
                    f"has {notebooks.END_SOLUTION!r} without a {notebooks.BEGIN_SOLUTION!r} before it"
                )
            elif not any(r.strip() for r in region):
                found.append("has an empty solution region: put the solution between the markers")
            inside = False
        elif re.search(r"(BEGIN|END)\s+SOLUTION", stripped, re.IGNORECASE):
            found.append(
                f"has the line {stripped!r}, which is not a marker: write {notebooks.BEGIN_SOLUTION!r} or "
                f"{notebooks.END_SOLUTION!r} alone on its line"
            )
        elif inside:
            region.append(line)
    if inside:
        found.append(f"opens {notebooks.BEGIN_SOLUTION!r} without closing it with {notebooks.END_SOLUTION!r}")
    has_markers = notebooks.BEGIN_SOLUTION in cell.source or notebooks.END_SOLUTION in cell.source
    if has_markers and not notebooks.is_solution(cell):
        found.append(
            "holds solution markers but is not an answer cell (nbgrader solution: false), so release "
            "would not clear them"
        )
    return found


def _choice_problems(nb, call: _Call) -> list[str]:
    """What keeps release from writing the multiple-choice key of `call` (a ``one_of`` check)."""
    if len(call.answers) != 1:
        return ["test cell: a one_of check takes one answer name"]
    node = call.check_node
    given = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "options"), None)
    try:
        options = "ABCD" if given is None else _literal(given)
    except (ValueError, TypeError, SyntaxError):
        return ['test cell: the options of one_of must be written as a literal, e.g. one_of("ABCD")']
    if isinstance(options, str):
        options = list(options)
    if not isinstance(options, (list, tuple)) or not all(isinstance(o, str) for o in options):
        return [
            'test cell: the options of one_of must be strings, e.g. one_of("ABCD") or one_of(["yes", "no"])'
        ]
    name = call.answers[0]
    key = notebooks.solution_value(nb, name)
    if key is None:
        return [
            f"test cell: no literal `{name} = ...` in a solution region to take the multiple-choice key "
            f'from (write e.g. {name} = "B" between the markers)'
        ]
    upper = [o.strip().upper() for o in options]
    if str(key).strip().upper() not in upper:
        return [f"test cell: the solution {name} = {key!r} is not one of the options {', '.join(upper)}"]
    return []


def _reference_problems(path: pathlib.Path, cell) -> list[str]:
    """``lesson.reference(name)`` calls in `cell` whose name ``<stem>_reference.py`` does not define."""
    calls = _lesson_calls(_parse(cell.source), "reference")
    if not calls:
        return []
    module = path.with_name(f"{path.stem}_reference.py")
    kind = "test cell" if notebooks.is_test(cell) else "cell"
    found = []
    defined = None
    if module.is_file():
        try:
            defined = _bound(ast.parse(module.read_text()))
        except SyntaxError as err:
            return [f"{kind}: {module.name} does not parse as Python ({err.msg}, line {err.lineno})"]
    for call in calls:
        arg = call.args[0] if call.args else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            found.append(
                f'{kind}: lesson.reference takes a name as a string, e.g. lesson.reference("fit_line")'
            )
        elif defined is None:
            found.append(
                f"{kind}: lesson.reference({arg.value!r}) needs {module.name} beside the notebook, defining "
                f"{arg.value}"
            )
        elif arg.value not in defined:
            found.append(f"{kind}: lesson.reference({arg.value!r}) is not defined in {module.name}")
    return found


def _points_problems(cell, said: str | None) -> list[str]:
    """The test cell's points: present, > 0, and as the markdown above says (`said`)."""
    value = _points(cell)
    if value is None:
        given = notebooks.nbgrader(cell).get("points")
        return [f"test cell: its nbgrader points must be a number > 0; got {given!r}"]
    if value <= 0:
        return [f"test cell: its nbgrader points must be > 0; got {value:g}"]
    if said is not None and float(said) != value:
        return [f"test cell: worth {value:g} points in its metadata, but the text above says ({said} points)"]
    return []


def _metadata_problems(cell, first_seen: dict, label: str) -> list[str]:
    """A missing, malformed or repeated grade_id, and cells nbgrader would grade by hand."""
    meta = notebooks.nbgrader(cell)
    if not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
        return []
    gid = meta.get("grade_id")
    if not gid:
        return ["an nbgrader cell (graded, answer or locked) without a grade_id"]
    found = []
    if not GRADE_ID.match(str(gid)):
        found.append(f"grade_id {gid!r} holds characters other than letters, digits, '_' and '-'")
    if gid in first_seen:
        found.append(
            f"grade_id {gid!r} is also used by {first_seen[gid]}; grade_ids must be unique in the folder"
        )
    else:
        first_seen[gid] = label
    if meta.get("grade") and meta.get("solution"):
        found.append(
            "answer cell: marked graded too (a manually graded answer); the points belong to its test "
            "cell, the one lesson.check call after it"
        )
    return found


def _static_problems(path: pathlib.Path, nb, first_seen: dict[str, str]) -> list[Problem]:
    """The problems that reading notebook `path` (already read as `nb`) finds, in cell order.

    Parameters
    ----------
    path : pathlib.Path
        The notebook's path, as the folder was given.
    nb : nbformat.NotebookNode
        The notebook.
    first_seen : dict
        ``{grade_id: "<notebook> cell N"}`` of the grade_ids met so far in the folder; updated.
    """
    problems: list[Problem] = []
    trees = [_parse(c.source) if c.cell_type == "code" else None for c in nb.cells]
    calls = {
        index: _read_call(cell)
        for index, cell in enumerate(nb.cells)
        if notebooks.is_test(cell) and cell.cell_type == "code"
    }
    named = {name for call, _ in calls.values() if call is not None for name in call.answers}
    stray = {
        index
        for index, cell in enumerate(nb.cells)
        if index not in calls and not notebooks.is_solution(cell) and _lesson_calls(trees[index], "check")
    }
    # Else `named` falls short, and answer cells would be reported for a mistake in their test cell.
    every_call_read = not stray and all(call is not None for call, _ in calls.values())
    said, answered, lesson_defined = None, set(), False
    for index, cell in enumerate(nb.cells):
        where, solution = _where(cell, index), notebooks.is_solution(cell)
        found = _metadata_problems(cell, first_seen, f"{path.name} cell {index}")
        if notebooks.BEGIN_HIDDEN in cell.source or notebooks.END_HIDDEN in cell.source:
            found.append(
                "a hidden-test region: nbgrader shows its code in a failing check's traceback; use a check "
                "that draws new inputs when graded instead"
            )
        found += [f"{'answer cell' if solution else 'cell'}: {m}" for m in _marker_problems(cell)]
        if cell.cell_type == "markdown":
            match = POINTS_IN_TEXT.search(cell.source)
            said = match.group(1) if match else said
            if solution:
                found.append(
                    "answer cell: a written (markdown) answer, which no lesson.check can grade; ask for a "
                    "variable in a code cell instead, e.g. a one_of choice"
                )
            elif notebooks.is_test(cell):
                found.append(
                    "a markdown cell marked graded: a test cell is a code cell, one lesson.check call"
                )
        elif index in calls:
            if not notebooks.nbgrader(cell).get("locked"):
                found.append("test cell: not locked (nbgrader locked: false), so a student could edit it")
            found += _points_problems(cell, said)
            said = None
            call, why = calls[index]
            found += [why] if why else _call_problems(nb, index, call, trees, answered, lesson_defined, calls)
        elif trees[index] is None:
            found.append(f"{'answer cell' if solution else 'cell'}: does not parse as Python")
        elif solution:
            bound = _bound(trees[index])
            answered |= bound
            if every_call_read and not bound & named:
                what = ", ".join(sorted(bound)) or "nothing"
                found.append(
                    f"answer cell: no test cell's lesson.check names what it assigns ({what}), so nothing "
                    "grades it"
                )
        elif index in stray:
            found.append(
                "cell: calls lesson.check but is not a test cell; make it nbgrader's 'Autograded tests' "
                "cell, with its points"
            )
        if cell.cell_type == "code":
            found += _reference_problems(path, cell)
            lesson_defined = lesson_defined or "lesson" in _bound(trees[index])
        problems += [Problem(str(path), where, message) for message in found]
    return problems


def _call_problems(
    nb, index: int, call: _Call, trees, answered: set, lesson_defined: bool, calls
) -> list[str]:
    """What is wrong with test cell `index`'s call, given the names the answer cells above assign."""
    cell, found = nb.cells[index], []
    if not lesson_defined:
        found.append('test cell: no cell above makes `lesson` (lesson = Lesson("..."), in the setup cell)')
    if call.grade_id != notebooks.grade_id(cell):
        found.append(
            f"test cell: its lesson.check names {call.grade_id!r}, not its own grade_id "
            f"{notebooks.grade_id(cell)!r}"
        )
    for name in call.answers:
        if name in answered:
            continue
        below = [
            i
            for i, c in enumerate(nb.cells)
            if i > index and notebooks.is_solution(c) and name in _bound(trees[i])
        ]
        elsewhere = [i for i in range(index) if name in _bound(trees[i])]
        if below:
            found.append(
                f"test cell: {name!r} is assigned in an answer cell below it (cell {below[0]}), not above"
            )
        elif elsewhere:
            found.append(
                f"test cell: {name!r} is assigned above (cell {elsewhere[0]}), but not in an answer cell "
                "(nbgrader solution: true), so the student never writes it"
            )
        else:
            found.append(f"test cell: {name!r} is not assigned in a solution cell above")
    owned = {name for i, (other, _) in calls.items() if i < index and other for name in other.answers}
    for name in call.needs:
        if name not in owned:
            found.append(f"test cell: needs={name!r} is no answer of an exercise above")
    if call.check == "one_of":
        found += _choice_problems(nb, call)
    return found


# --- dynamic checks ------------------------------------------------------------------------------


def _nbgrader_score(cell) -> float:
    """The points nbgrader gives a test cell for its outputs (``nbgrader.utils.determine_grade``).

    An error or a stderr line before any value gives 0; else the first value
    counts if it is a number; a cell without a value, or with one that is not
    a number, gets full points.
    """
    top = _points(cell) or 0.0
    for output in cell.get("outputs", []):
        if output.output_type == "error" or (
            output.output_type == "stream" and output.get("name") == "stderr"
        ):
            return 0.0
        if output.output_type == "execute_result":
            try:
                return float(output.get("data", {}).get("text/plain", ""))
            except ValueError:
                return top
    return top


def _run(nb, halves: str, path: pathlib.Path, *, challenge: int, timeout: float):
    """Run notebook `path` (read as `nb`, filled with outputs) as the grader does; return records and end."""
    path = path.resolve()  # the kernel, in the notebook's folder, reads $WIDGETS_NOTEBOOK from there
    records, ended, _ = grade.run_and_record(
        nb, halves, challenge=challenge, timeout=timeout, path=path.parent, notebook=path
    )
    hashes = {notebooks.grade_id(c): grade.cell_sha256(c) for c in nb.cells if notebooks.is_test(c)}
    last = {}
    for entry in records:  # as the grader reads them: the last record made by the test cell itself
        gid = entry.get("grade_id")
        if gid in hashes and entry.get("code_sha256") == hashes[gid]:
            last[gid] = entry
    return last, ended


def _errors(cell) -> list[str]:
    return [
        f"{o.get('ename', 'an error')}: {o.get('evalue', '')}".rstrip(": ")
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]


def _stderr(cell) -> str:
    """The first line the cell wrote to stderr, without a warning's ``file:line:`` prefix; or empty."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return re.sub(r"^\S+:\d+: ", "", first)


def _source_run(path: pathlib.Path, challenge: int, timeout: float) -> list[tuple[str | None, str]]:
    """Run the source in ``references`` mode at `challenge`: ``(where, message)`` of what went wrong."""
    nb = notebooks.read(path)
    records, ended = _run(nb, "references", path, challenge=challenge, timeout=timeout)
    found: list[tuple[str | None, str]] = []
    if ended != "completed":
        found.append((None, f"the source did not run to the end: {ended}"))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where, test, errors = _where(cell, index), notebooks.is_test(cell), _errors(cell)
        found += [(where, f"{'test cell' if test else 'cell'}: the source raised {e}") for e in errors]
        if not test or errors or not cell.get("execution_count"):
            continue
        record, score = records.get(notebooks.grade_id(cell)), _nbgrader_score(cell)
        if _stderr(cell):
            said = (
                f"test cell: writes to stderr ({_stderr(cell)[:80]!r}), which zeroes the cell under nbgrader"
            )
        elif record is None:
            said = "test cell: its check made no record for the grader"
        elif record.get("state") != "correct":
            said = f"test cell: the source's own answer is {record.get('state')}: {record.get('detail', '')}"
        elif score != _points(cell):
            said = f"test cell: nbgrader reads {score:g} points from its output"
        else:
            continue
        found.append((where, said))
    return found


def _release_run(path: pathlib.Path, timeout: float) -> list[tuple[str | None, str]]:
    """Run a released notebook top to bottom: ``(where, message)`` of an error or a test cell scoring > 0."""
    nb = notebooks.read(path)
    records, ended = _run(nb, "answers", path, challenge=0, timeout=timeout)
    found: list[tuple[str | None, str]] = []
    if ended != "completed":
        found.append((None, f"the release did not run to the end: {ended}"))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where, test, errors = _where(cell, index), notebooks.is_test(cell), _errors(cell)
        kind = "test cell" if test else "cell"
        found += [(where, f"{kind}: the release raised {e}: a student's Run All stops here") for e in errors]
        if not test or errors or not cell.get("execution_count"):
            continue
        state, score = records.get(notebooks.grade_id(cell), {}).get("state"), _nbgrader_score(cell)
        if state in ("correct", "deferred"):
            found.append((where, f"test cell: the release's check says {state} with no answer written"))
        elif score > 0:
            found.append(
                (where, f"test cell: the release scores {score:g} points under nbgrader, unanswered")
            )
    return found


def _released(source_dir: pathlib.Path, out: pathlib.Path) -> tuple[list[Problem], bool]:
    """Release `source_dir` into `out` as the ``release`` command does: its leaks, and whether it wrote."""
    try:
        release.release(source_dir, out)
    except ValueError as err:
        leaks = release.leak_scan(out, source_dir) if out.is_dir() else []
        lines = leaks or [f"release refused the folder: {err}"]
        return [Problem(str(out), None, f"release: {line}") for line in lines], False
    return [], True


def _dynamic_problems(
    source_dir: pathlib.Path,
    paths: list[pathlib.Path],
    out: pathlib.Path,
    *,
    challenge: int,
    timeout: float,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Problem]:
    """Run each source at challenge 0 and `challenge`, release into `out` and run each release.

    A problem found at both challenges is reported once, naming both.
    """
    problems, wrote = _released(source_dir, out)
    runs = [(path, "source", c) for path in paths for c in dict.fromkeys((0, challenge))]
    runs += [(out / path.name, "release", 0) for path in paths if wrote]
    jobs = len(os.sched_getaffinity(0)) if jobs is None else jobs

    def one(run):
        path, kind, at = run
        started = time.monotonic()
        found = _source_run(path, at, timeout) if kind == "source" else _release_run(path, timeout)
        if progress is not None:
            what = f"source at challenge {at}" if kind == "source" else "release"
            progress(f"ran {path.name} ({what}): {len(found)} problems, {time.monotonic() - started:.0f} s")
        return found

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = dict(zip(runs, pool.map(one, runs), strict=True))
    for path in paths:
        at_challenge: dict[tuple, list[int]] = {}
        for (run_path, kind, at), found in results.items():
            if run_path == path and kind == "source":
                for where_message in found:
                    at_challenge.setdefault(where_message, []).append(at)
        order = {_where(c, i): i for i, c in enumerate(notebooks.read(path).cells)}
        for (where, message), challenges in sorted(
            at_challenge.items(), key=lambda x: order.get(x[0][0], -1)
        ):
            said = " and ".join(str(c) for c in dict.fromkeys(challenges))
            problems.append(Problem(str(path), where, f"{message} (challenge {said})"))
        released = results.get((out / path.name, "release", 0), [])
        problems += [Problem(str(out / path.name), where, message) for where, message in released]
    return problems

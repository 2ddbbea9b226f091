"""Write student versions of the lessons: solutions stubbed, hidden tests removed, outputs cleared."""

from __future__ import annotations

import pathlib

from widgets.grading import notebooks


def release_notebook(nb):
    """Return the student version of source notebook `nb` (a new notebook)."""
    student = notebooks.nbformat.from_dict(nb)
    for cell in student.cells:
        if notebooks.is_solution(cell):
            notebooks.clear_solutions(cell)
        notebooks.remove_hidden_tests(cell)
        notebooks.clear_outputs(cell)
    student.metadata.pop("widgets", None)
    return student


def release(source_dir, out_dir) -> list[pathlib.Path]:
    """Release every ``*.ipynb`` of `source_dir` into `out_dir`; return the written paths.

    Raises
    ------
    ValueError
        If `source_dir` holds no notebooks, or `out_dir` is `source_dir` (the
        lessons with their solutions would be overwritten).
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
        notebooks.write(release_notebook(notebooks.read(path)), target)
        written.append(target)
    return written

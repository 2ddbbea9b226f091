"""Release keeps answer keys out: salted digests per release, no hidden tests, and a scan for leaks."""

import nbformat
import pytest

from widgets.checks.choice import digest as checks_digest
from widgets.grading import notebooks
from widgets.grading.release import leak_scan, refuse_hidden_tests, release, release_notebook, write_keys

META = {"schema_version": 3}


def answer(grade_id, source):
    meta = {**META, "grade_id": grade_id, "solution": True, "grade": False, "locked": False}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def graded(grade_id, source, points=1):
    meta = {**META, "grade_id": grade_id, "solution": False, "grade": True, "locked": True, "points": points}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def lesson(choice='"C"'):
    return nbformat.v4.new_notebook(
        cells=[
            answer("q-c-answer", f"# c = a letter\n### BEGIN SOLUTION\nc = {choice}\n### END SOLUTION"),
            graded("q-c", 'lesson.check("q-c", "c", one_of("ABCD"), hint="Think.")'),
            answer("q-m-answer", "### BEGIN SOLUTION\nmean_x = float(x.mean())\n### END SOLUTION"),
            graded("q-m", 'lesson.check("q-m", "mean_x", close(2.0, atol=0.1))', 2),
        ]
    )


def test_each_release_salts_the_key_anew_and_both_digests_verify():
    """Do two releases of a multiple-choice cell get different salts, each digest matching the key only?"""
    first, second = (release_notebook(lesson()).cells[1].metadata["widgets"] for _ in range(2))
    assert first["salt"] != second["salt"] and first["sha256"] != second["sha256"]
    for stored in (first, second):
        assert stored["sha256"] == checks_digest("C", salt=stored["salt"])
        assert stored["sha256"] == notebooks.digest(" c", stored["salt"])
        assert stored["sha256"] != checks_digest("B", salt=stored["salt"])
    assert "widgets" not in release_notebook(lesson()).cells[3].metadata  # not multiple choice


def test_a_key_that_is_not_a_literal_is_refused_naming_the_cell():
    """Does release refuse a multiple-choice solution it cannot read as a literal, naming the exercise?"""
    with pytest.raises(ValueError, match=r"\[q-c\] test cell: no literal `c = \.\.\.`"):
        write_keys(lesson(choice='"AB"[1]'))


def test_a_multiple_choice_check_given_by_keyword_is_refused_naming_the_cell():
    """Is a one_of check release cannot read (given by keyword) refused, not released without a digest?"""
    nb = lesson()
    nb.cells[1].source = 'lesson.check("q-c", answers="c", check=one_of("ABCD"))'
    with pytest.raises(ValueError, match=r"\[q-c\] test cell: give lesson.check .* by position"):
        write_keys(nb)


def test_a_source_with_hidden_tests_is_refused_naming_the_cell():
    """Is a hidden-test region refused, with the notebook and the cell named?"""
    nb = lesson()
    nb.cells[3].source = "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS\n" + nb.cells[3].source
    with pytest.raises(ValueError, match=r"03-x.ipynb \[q-m\]: hidden-test regions are not released"):
        refuse_hidden_tests(nb, "03-x.ipynb")


def test_a_clean_release_has_no_leaks_and_each_leak_is_named(tmp_path):
    """Is a fresh release clean, and are a solution line, a marker, a lost digest and a module each found?"""
    source, out = tmp_path / "source", tmp_path / "release"
    source.mkdir()
    nbformat.write(lesson(), str(source / "03-x.ipynb"))
    (source / "03-x_reference.py").write_text("mean_x = 2.0\n")
    assert [p.name for p in release(source, out)] == ["03-x.ipynb"]
    assert leak_scan(out, source) == [] and not list(out.glob("*.py"))
    nb = notebooks.read(out / "03-x.ipynb")
    nb.cells[0].source += "\nmean_x = float(x.mean())"
    nb.cells[2].source = "### BEGIN SOLUTION\n### END SOLUTION"
    del nb.cells[1].metadata["widgets"]
    nbformat.write(nb, str(out / "03-x.ipynb"))
    (out / "03-x_reference.py").write_text("mean_x = 2.0\n")
    problems = leak_scan(out, source)
    assert problems == [
        "03-x_reference.py: a reference module was released",
        "03-x.ipynb [q-c-answer]: holds the solution line 'mean_x = float(x.mean())'",
        "03-x.ipynb [q-c]: a multiple-choice test cell without its digest",
        "03-x.ipynb [q-m-answer]: holds the marker '### BEGIN SOLUTION'",
        "03-x.ipynb [q-m-answer]: holds the marker '### END SOLUTION'",
    ]

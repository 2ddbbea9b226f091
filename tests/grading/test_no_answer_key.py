"""No answer key in the package: the installed files of `widgets` hold no lesson's solution line."""

import pathlib

import widgets
from tests.grading.test_lessons_and_release import LESSONS
from widgets.grading import notebooks
from widgets.grading.release import secret_lines


def test_the_installed_package_holds_no_solution_line_of_any_lesson():
    """Does no file of the installed widgets package contain a solution line of either lesson?"""
    secrets = secret_lines([notebooks.read(path) for path in LESSONS])
    assert len(secrets) >= 12  # both lessons' answers, multiple-choice keys included
    assert {'answer_rhat = "C"', 'answer_ess = "A"', 'answer_ppc = "D"', 'answer_stale = "B"'} <= secrets
    package = pathlib.Path(widgets.__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.name == "lesson.py" for p in files)
    found = {
        (str(path), line)
        for path in files
        for text in [path.read_bytes().decode("utf-8", "replace")]
        for line in secrets
        if line in text
    }
    assert not found

"""What a process in the grading sandbox can see of the grader's files: a short probe, no kernel.

The kit's own lessons (sources with solutions, their ``*_reference.py`` answer keys) sit in the
clone of an editable install, which the sandbox must mount for ``import widgets``; and ``python -m``
puts the grader's working folder, which may hold a course, on the grader's path.
"""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

import widgets
from widgets.grading.sandbox import Sandbox

pytestmark = pytest.mark.skipif(not shutil.which("/usr/bin/bwrap"), reason="needs bubblewrap")

PROBE = """
import json, os, pathlib, sys
seen = {}
for path in sys.argv[1:]:
    p = pathlib.Path(path)
    try:
        seen[path] = sorted(os.listdir(p)) if p.is_dir() else p.read_text()[:40]
    except OSError as err:
        seen[path] = type(err).__name__
import widgets
print(json.dumps({"seen": seen, "widgets": widgets.__file__}))
"""


def _probe(tmp_path, paths, hidden=()):
    box = Sandbox(hidden=list(hidden))
    folder = tmp_path / "box"
    folder.mkdir()
    uid = box.prepare(folder, cache=None)
    cmd = box.command([sys.executable, "-c", PROBE, *map(str, paths)], folder=folder, uid=uid)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_kits_own_lessons_and_answer_keys_are_hidden(tmp_path):
    """In a clone: lessons/ empty inside, its reference modules unreadable, and the kit still importable?"""
    lessons = pathlib.Path(widgets.__file__).resolve().parents[1] / "lessons"
    references = sorted(lessons.glob("*_reference.py"))
    if not references:
        pytest.skip("the kit is not a source checkout with lessons/ (an installed wheel has none)")
    result = _probe(tmp_path, [lessons, references[0]])
    assert result["seen"][str(lessons)] == []
    assert result["seen"][str(references[0])] in ("FileNotFoundError", "PermissionError")
    assert pathlib.Path(result["widgets"]).parent.name == "widgets"


def test_the_graders_working_folder_is_not_mounted_back(tmp_path, monkeypatch):
    """The course folder the grader runs from (under /tmp): on its path, as with python -m, yet unseen?"""
    course = tmp_path / "course"
    course.mkdir()
    (course / "notes.txt").write_text("the instructor's notes")
    monkeypatch.chdir(course)
    monkeypatch.syspath_prepend(str(course))
    result = _probe(tmp_path, [course / "notes.txt"])
    assert result["seen"][str(course / "notes.txt")] in ("FileNotFoundError", "PermissionError")

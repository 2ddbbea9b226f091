"""Does every exercise still give today's feedback, word for word (the fixture the conversion must keep)?"""

import json

import pytest

from tests.grading import feedback_snapshot
from widgets.grading import notebooks

EXPECTED = json.loads(feedback_snapshot.EXPECTED.read_text())


def test_the_fixture_covers_every_exercise_in_every_scenario():
    """Has the fixture a source, a release and a wrong-answer entry for every test cell of both lessons?"""
    ids = {
        notebooks.grade_id(c)
        for path in feedback_snapshot.LESSONS.values()
        for c in notebooks.read(path).cells
        if notebooks.is_test(c)
    }
    assert len(ids) == 12
    for scenario in ("source", "release", "wrong"):
        assert set(EXPECTED[scenario]) == ids
        assert all(entry["feedback"] for entry in EXPECTED[scenario].values())
    assert all(EXPECTED["wrong"][g]["points"] == "0" for g in ids)
    assert all(EXPECTED["release"][g]["points"] == "0" for g in ids)


@pytest.fixture(scope="module")
def collected():
    return feedback_snapshot.collect()


@pytest.mark.parametrize("scenario", ["source", "release", "wrong"])
def test_feedback_and_points_equal_the_fixture(collected, scenario):
    """Does each check say exactly what the fixture recorded, and earn the same points?"""
    assert collected[scenario] == EXPECTED[scenario]
    assert EXPECTED["wrong_answers"] == feedback_snapshot.WRONG

"""TrajectoryPanel: draws, the tree frame by frame (the kernel's and the page's replay), clicks, bad input."""

import itertools
import re

import numpy as np
import pytest
import traitlets as tr

from tests.conftest import make_data, marks_by_label
from widgets.inference import EIGHT_SCHOOLS, eight_schools, fit, fit_model
from widgets.inference.trajectory import record_trajectory, start_near
from widgets.trajectory_panel import TrajectoryPanel

SEEDS = range(8)


@pytest.fixture(scope="module")
def schools():
    """The centered eight schools, 4 chains x 1000 draws, seed 0: it has divergences."""
    return fit_model(eight_schools, EIGHT_SCHOOLS, seed=0)


@pytest.fixture(scope="module")
def fitted():
    return fit(*make_data(80), seed=0)


@pytest.fixture
def panel(schools):
    return TrajectoryPanel(schools, x="theta[0]", y="log tau", start=(5.0, 1.5), seed=0)


def test_draws_and_divergent_draws_are_drawn_on_the_chosen_coordinates(panel, schools):
    """Are the draws at theta[0] and log tau, and the divergent draws among them, all of them?"""
    marks = marks_by_label(panel.figure)
    divergent = schools.sample_stats["diverging"].reshape(-1)
    assert divergent.sum() > 0
    tau, theta0 = schools.samples["tau"].reshape(-1), schools.samples["theta"][..., 0].reshape(-1)
    np.testing.assert_allclose(marks["divergent draws"].y, np.log(tau[divergent]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(marks["divergent draws"].x, theta0[divergent], rtol=1e-6)
    assert len(marks["posterior draws"].x) > 1000
    assert panel.figure.axes[0].label == "theta[0]" and panel.figure.axes[1].label == "log tau"


def test_the_panel_shows_the_recorded_tree(panel, schools):
    """Are the forward and backward paths the recorded steps in each direction, from the start?"""
    t = record_trajectory(schools, start_near(schools, {"theta[0]": 5.0, "log tau": 1.5}), seed=0)
    assert panel.trajectory.num_steps == t.num_steps and panel.frame == t.num_steps
    marks = marks_by_label(panel.figure)
    forward = np.vstack([t.start, t.positions[t.forward]])
    np.testing.assert_allclose(marks["forward in time"].x, forward[:, 2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(marks["forward in time"].y, forward[:, 1], rtol=1e-5, atol=1e-6)
    backward = np.vstack([t.start, t.positions[~t.forward]])
    np.testing.assert_allclose(marks["backward in time"].x, backward[:, 2], rtol=1e-5, atol=1e-6)
    assert "leapfrog steps" in panel.status.value


def test_frames_grow_the_path_one_step_at_a_time(panel):
    """Does each frame show one more leapfrog point than the one before, over both directions?"""
    marks = marks_by_label(panel.figure)
    shown = []
    for frame in range(panel.trajectory.num_steps + 1):
        panel.frame = frame
        shown.append(len(marks["forward in time"].x) + len(marks["backward in time"].x) - 2)
    assert shown == list(range(panel.trajectory.num_steps + 1))
    assert panel.step_slider.max == panel.trajectory.num_steps
    assert panel.step_slider.value == panel.replay.value == panel.frame


def test_a_frame_sends_only_the_path_that_grew(panel):
    """Does each step of the replay change only the path that grew, and leave every other mark alone?"""
    changed = []
    for mark in panel.figure.marks:
        mark.observe(lambda change, mark=mark: changed.append((mark.labels[0], change["name"])), names=tr.All)
    t = panel.trajectory
    panel.frame = 1  # from the whole tree back to one step: the paths, the ends and the start dot
    for frame in range(2, t.num_steps):
        changed.clear()
        panel.frame = frame
        grew = "forward in time" if t.forward[frame - 1] else "backward in time"
        assert sorted(changed) == [(grew, "x"), (grew, "y")], frame


def test_the_replay_sent_to_the_page_is_what_the_kernel_draws_at_every_frame(panel):
    """Does the replay the page grows show, at each frame, exactly the marks the kernel draws then?"""
    replayed = {"forward in time", "backward in time", "start", "U-turn", "divergence"}
    assert {m.labels[0] for m in panel.replay.marks} == replayed
    shown = set()  # the marks seen non-empty: U-turns from the mouth, divergences from the neck
    for start, seed in itertools.product([(5.0, 1.5), (0.0, -4.0)], range(4)):
        panel.start, panel.seed = start, seed
        shown |= {m.labels[0] for m in panel.replay.marks if len(m.x)}
        for frame in [*range(panel.trajectory.num_steps + 1), 0]:
            panel.frame = frame
            assert panel.replay.value == frame
            for mark in panel.replay.marks:
                x, y = panel.replay.points_at(mark, frame)
                np.testing.assert_array_equal(x, np.asarray(mark.x, np.float64), err_msg=mark.labels[0])
                np.testing.assert_array_equal(y, np.asarray(mark.y, np.float64), err_msg=mark.labels[0])
    assert shown == replayed


def test_a_new_trajectory_is_sent_once_and_a_frame_sends_none_of_it(panel):
    """Does a new seed, start or pair of axes send the tree to the page once, and a frame send no tree?"""
    sent = []
    panel.replay.observe(lambda change: sent.append(change["name"]), names=["points", "counts"])
    for frame in range(panel.trajectory.num_steps + 1):
        panel.frame = frame
    assert sent == []
    for change in ({"seed": 1}, {"start": (1.0, 0.5)}, {"x": "theta[1]"}):
        sent.clear()
        for name, value in change.items():
            setattr(panel, name, value)
        assert sorted(sent) == ["counts", "points"], change
        assert panel.replay.value == panel.frame == panel.trajectory.num_steps


def test_the_page_stopping_the_replay_sets_the_frame(panel):
    """When the page's replay ends or is paused, its frame (sent once) sets the panel's frame and slider?"""
    panel.replay.value = 3
    assert panel.frame == 3 and panel.step_slider.value == 3
    assert (
        len(marks_by_label(panel.figure)["forward in time"].x)
        + len(marks_by_label(panel.figure)["backward in time"].x)
        == 3 + 2
    )


def test_a_start_in_the_funnels_neck_diverges_and_is_marked(panel):
    """From log tau = -4 most seeds diverge, and the divergence is marked; from 1.5 about none do."""
    diverged = 0
    for seed in SEEDS:
        panel.start, panel.seed = (0.0, -4.0), seed
        if panel.diverging:
            diverged += 1
            assert "diverged" in panel.status.value
    assert diverged > len(SEEDS) // 2
    calm = 0
    for seed in SEEDS:
        panel.start, panel.seed = (5.0, 1.5), seed
        calm += panel.diverging
        assert len(marks_by_label(panel.figure)["divergence"].x) == int(panel.diverging)
    assert calm <= 1


def test_a_click_moves_the_start(panel):
    """Does a click (the start mark's 'add' interaction appending a point) move the start there, rounded?"""
    panel.start_dot.x = np.array([*panel.start_dot.x, 3.14159])
    panel.start_dot.y = np.array([*panel.start_dot.y, 0.5])
    assert panel.start == (3.14, 0.5)
    assert "start=(3.14, 0.5)" in panel.code
    assert len(panel.start_dot.x) == 1


@pytest.mark.parametrize(
    "trait, value, message",
    [
        ("x", "tau", "x must be one of the coordinates NUTS moves in"),
        ("y", "theta[0]", "x and y must be two different coordinates"),
        ("start", (np.nan, 1.0), "start must be two finite numbers"),
        ("chain", 7, r"chain must be an integer in \[0, 4\)"),
    ],
)
def test_bad_input_keeps_the_last_good_state(panel, trait, value, message):
    """Is a bad coordinate, start or chain refused with a message, the picture and code kept?"""
    code, x = panel.code, list(marks_by_label(panel.figure)["forward in time"].x)
    setattr(panel, trait, value)
    assert re.search(message, panel.message)
    assert panel.code == code
    assert list(marks_by_label(panel.figure)["forward in time"].x) == x
    panel.seed = 1
    assert panel.message == ""


def test_the_code_line_rebuilds_the_panel(panel, schools):
    """Does the code line, run where the panel was made, give a panel in the same state?"""
    panel.start, panel.seed = (2.5, 0.25), 3
    again = eval(panel.code, {"TrajectoryPanel": TrajectoryPanel, "schools": schools})
    assert again.code == panel.code
    np.testing.assert_array_equal(again.trajectory.positions, panel.trajectory.positions)


def test_any_fitted_model_the_regression_too(fitted):
    """Does the panel replay the regression, with log sigma on y by default?"""
    panel = TrajectoryPanel(fitted)
    assert (panel.x, panel.y) == ("a", "log sigma")
    assert panel.trajectory.num_steps >= 1 and panel.message == ""


def test_a_fit_of_another_model_shows_its_own_axes(schools, fitted):
    """Does setting the fit to another model's show what a new panel of it shows, with no message?"""
    panel = TrajectoryPanel(schools, x="theta[0]", y="log tau")
    panel.fit = fitted
    fresh = TrajectoryPanel(fitted)
    assert panel.message == ""
    assert (panel.x, panel.y, panel.start) == (fresh.x, fresh.y, fresh.start)
    assert panel.figure.axes[0].label == fresh.x and f"x={fresh.x!r}" in panel.code
    assert panel.trajectory.num_steps == fresh.trajectory.num_steps


def test_a_replay_missing_a_mark_is_refused(panel):
    """Is a replay that leaves out one of its marks (or mixes frame counts) refused, naming `frames`?"""
    sent = {m: (np.zeros(1), np.zeros(1), np.ones(3, int)) for m in panel.replay.marks}
    with pytest.raises(ValueError, match="frames must give"):
        panel.replay.load(dict(list(sent.items())[1:]), value=0)
    with pytest.raises(ValueError, match="frames must give"):
        panel.replay.load({**sent, panel.start_dot: (np.zeros(1), np.zeros(1), np.ones(4, int))}, value=0)
    panel.replay.load(sent, value=2)
    assert panel.replay.counts == [[1, 1, 1]] * 5 and panel.frame == 2


def _path(panel) -> np.ndarray:
    """The trajectory's start and leapfrog points on the panel's two coordinates, one row per point."""
    t = panel.trajectory
    return np.vstack([t.start, t.positions])[:, [t.coordinate(panel.x), t.coordinate(panel.y)]]


def _draws(schools) -> np.ndarray:
    """Every posterior draw of theta[0] and log tau, one row per draw."""
    return np.column_stack(
        [schools.samples["theta"][..., 0].reshape(-1), np.log(schools.samples["tau"].reshape(-1))]
    )


def _inside(panel, points: np.ndarray) -> bool:
    """Whether the axes show every point of `points`, strictly inside (with a margin)."""
    return all(
        panel.scales[axis].min < values.min() and values.max() < panel.scales[axis].max
        for axis, values in zip("xy", points.T, strict=True)
    )


def test_the_axes_show_the_draws_and_all_of_an_ordinary_trajectory(panel, schools):
    """Do the axes hold every draw and every point of a trajectory that did not diverge, with a margin?"""
    draws = _draws(schools)
    ordinary = beyond_the_draws = 0
    for start, seed in itertools.product([(5.0, 1.5), (-20.0, 0.5), (-30.0, 3.0)], range(3)):
        panel.start, panel.seed = start, seed
        if panel.diverging:
            continue
        path = _path(panel)
        ordinary += 1
        beyond_the_draws += bool(np.any((path < draws.min(0)) | (path > draws.max(0))))
        assert _inside(panel, draws) and _inside(panel, path), (start, seed)
        assert "off the plot" not in panel.status.value
    assert ordinary >= 6 and beyond_the_draws >= 2  # paths past the draws were among them


def test_a_divergent_trajectory_runs_off_the_plot_rather_than_squash_the_draws(panel, schools):
    """From the funnel's neck, do the draws keep a quarter of each axis, the start shown, and a message?"""
    draws = _draws(schools)
    span = draws.max(0) - draws.min(0)
    panel.start = (0.0, -4.0)
    flew = 0
    for seed in SEEDS:
        panel.seed = seed
        if not panel.diverging:
            continue
        path = _path(panel)
        flew += bool(np.any(~(np.abs(path - draws.mean(0)) < 10 * span)))  # ten ranges away, or not finite
        for axis, draws_span in zip("xy", span, strict=True):
            assert draws_span / (panel.scales[axis].max - panel.scales[axis].min) >= 0.25, (seed, axis)
        assert _inside(panel, draws) and _inside(panel, path[:1]), seed  # the start is on the plot
        assert ("off the plot" in panel.status.value) == (not _inside(panel, path)), seed
    assert flew > len(SEEDS) // 2


def test_the_axes_stand_still_during_a_replay_and_move_for_a_new_trajectory(panel):
    """Do the axis ranges stay put over every frame (kernel or page), and change only with the trajectory?"""
    moved = []
    for scale in panel.scales.values():
        scale.observe(lambda change: moved.append(change["name"]), names=["min", "max"])
    panel.start = (-20.0, 0.5)
    assert moved and not panel.diverging  # a new trajectory past the draws: the axes make room for it
    moved.clear()
    steps = panel.trajectory.num_steps
    for frame in [*range(steps + 1), 0, steps]:
        panel.frame = frame
    panel.replay.value = steps // 2  # the page paused its replay there
    assert panel.frame == steps // 2
    assert moved == []

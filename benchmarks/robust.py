"""Lesson 3's robust-regression panel: a point dragged -> both models re-fitted and the LOO table updated.

Python side: the time from the scatter's new data (what the browser sends
when a dragged point is let go) to both fits, both LOOs, ArviZ's comparison
table and the marks updated, at n = 80 with 4 chains x 1,000 draws (after
500 of warmup) per model; and, interleaved with it, the two NUTS runs alone
(``fit_padded`` of each model on the same data, one after the other), so
that the rest of a drag (LOO, the table, the marks) shows as the difference
of the medians. The tutorial's way does the same with a fresh NumPyro ``MCMC(NUTS(model))`` per
model, ``az.loo`` on each and ``az.compare``, with the compilation cache off.
Also lesson 3 top to bottom in a fresh kernel (time and the kernel's peak
memory), as :mod:`benchmarks.lessons` runs every lesson.

Usage: ``python -m benchmarks.robust [--quick]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpyro

if __name__ == "__main__":
    numpyro.set_host_device_count(4)
    os.environ["WIDGETS_COMPILATION_CACHE"] = "off"

import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

from benchmarks import tutorial_way  # noqa: E402
from benchmarks.lessons import LESSONS, run_lesson  # noqa: E402
from benchmarks.timing import Row, median_seconds, print_table  # noqa: E402
from widgets.inference._arviz import az  # noqa: E402
from widgets.inference.outliers import data_with_outliers, fit_padded  # noqa: E402
from widgets.robust_panel import MODELS, RobustRegressionPanel  # noqa: E402

N = 80
LESSON = next(path for path in LESSONS if path.name.startswith("03-"))


def student_t_model(x, y=None):
    """The tutorial's model with Student-t noise, as a student would write it."""
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    nu = numpyro.sample("nu", dist.Gamma(2.0, 0.1))
    numpyro.sample("y", dist.StudentT(nu, a * x + b, sigma), obs=y)


def tutorial_refit_and_compare(x, y, seed: int):
    """A fresh MCMC per model, az.loo of each, az.compare: the tutorial's way after a point moved."""
    scores = {}
    for name, model in (("normal", tutorial_way.linear_regression_model), ("student_t", student_t_model)):
        mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=1000, num_chains=4, progress_bar=False)
        mcmc.run(jr.PRNGKey(seed), x=x, y=y)
        idata = az.from_numpyro(mcmc)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # high Pareto k; pandas' deprecation inside az.compare
            scores[name] = az.loo(idata, pointwise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.compare(scores)


def _drags(x, y, count: int) -> list[np.ndarray]:
    """New y after point 10 is dragged to `count` different heights."""
    moves = []
    for i in range(count):
        moved = np.array(y)
        moved[10] = y[10] + 0.5 + 0.25 * i
        moves.append(moved)
    return moves


def run(quick: bool, *, lesson: bool = True) -> list[Row]:
    """The drag row (ours against the tutorial's way) and, with `lesson`, lesson 3's run time and memory.

    ``python -m benchmarks`` times every lesson already (:mod:`benchmarks.lessons`): it passes
    ``lesson=False``.
    """
    x, y, _ = data_with_outliers(N, num_outliers=3, seed=0)
    panel = RobustRegressionPanel(x, y)  # compiles both samplers: not timed
    moves = _drags(x, y, 7 if quick else 21)

    def drag(i):
        with panel.points.hold_trait_notifications():  # as the browser sends it: x and y together
            panel.points.x, panel.points.y = x, moves[i]

    def fits(i):
        for model in MODELS.values():
            fit_padded(x, moves[i], model=model, seed=panel.seed)

    times = {drag: [], fits: []}
    for i in range(len(moves)):  # interleaved, so that a change of load hits both alike
        for step in (drag, fits):
            started = time.perf_counter()
            step(i)
            times[step].append(time.perf_counter() - started)
    ours, sampling = statistics.median(times[drag]), statistics.median(times[fits])
    theirs = median_seconds(lambda i: tutorial_refit_and_compare(x, moves[i], i), 2 if quick else 3)
    row = Row(
        "RobustRegressionPanel: point dragged -> both models re-fitted, LOO table and marks updated (n = 80)",
        ours,
        tutorial=theirs,
        target="<= 250 ms, >= 10x",
    )
    row.met = ours <= 0.25 and theirs / ours >= 10 and panel.message == ""
    rows = [
        row,
        Row("  of which the two NUTS runs alone (fit_padded of each model, same data and seed)", sampling),
        Row(
            "  the rest of a drag: LOO, table, marks (difference of the medians)",
            ours - sampling,
        ),
    ]
    if not lesson:
        return rows
    seconds, megabytes = run_lesson(LESSON)
    rows.append(Row(f"{LESSON.stem}: top to bottom", seconds, target="<= 45 s", met=seconds <= 45))
    rows.append(
        Row(
            f"{LESSON.stem}: kernel peak memory",
            megabytes,
            unit="MB",
            target="<= 800 MB",
            met=megabytes <= 800,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robust", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print_table("Lesson 3: the robust-regression panel (Python side) and the lesson", run(args.quick))


if __name__ == "__main__":
    main()

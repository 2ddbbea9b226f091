"""The public library of checks: what a lesson's test cell names to check an answer, and how.

Each check is an object holding its arguments. Called on an answer, it checks
at once, for instant feedback in the notebook (a :class:`Result`). Its
:meth:`Check.data` gives the same answer and reference as plain JSON data, so
the grader decides outside the kernel with the verdict the check names in
:mod:`widgets.grading.compare`. Tolerances of checks on random draws come from
Monte Carlo error (4.5 standard errors: about 7e-6 false failures per check),
never from a fixed expected number.

==========================  ================================================
check                       the answer
==========================  ================================================
:class:`close`              one number, within a tolerance
:class:`allclose`           an array, element by element
:class:`within_mcse`        a Monte Carlo estimate, within its error
:class:`same_draws`         a model drawing what a reference model draws
:class:`coverage`           an interval covering its share of draws
:class:`share_at_most`      priors keeping prior predictive draws in range
:class:`standard_normal_noise`  draws around a mean with Normal noise
:class:`regression_data`    data from a line with Normal noise
:class:`healthy_fit`        the smallest healthy run of a sampler
:class:`one_of`             one option of a multiple-choice question
:class:`moved_to_high_k`    a panel's data with one point moved to a high Pareto k
:class:`same_schools_draws` a hierarchical model, non-centered as the reference
:class:`diverging_trajectory`  a TrajectoryPanel code line whose transition diverges
:class:`simulator_noise`    a simulator whose noise has the model's prior
:class:`panel_setting`      a setting read from a panel's copied code line
==========================  ================================================
"""

from widgets.checks._check import Check, Context, Deferred, Result
from widgets.checks.choice import one_of
from widgets.checks.draws import same_draws
from widgets.checks.estimates import allclose, close, within_mcse
from widgets.checks.fits import healthy_fit
from widgets.checks.loo import moved_to_high_k
from widgets.checks.noise import regression_data, standard_normal_noise
from widgets.checks.predictive import coverage, share_at_most
from widgets.checks.sbc import panel_setting, simulator_noise
from widgets.checks.trajectories import diverging_trajectory, same_schools_draws

__all__ = [
    "Check",
    "Context",
    "Deferred",
    "Result",
    "allclose",
    "close",
    "coverage",
    "diverging_trajectory",
    "healthy_fit",
    "moved_to_high_k",
    "one_of",
    "panel_setting",
    "regression_data",
    "same_draws",
    "same_schools_draws",
    "share_at_most",
    "simulator_noise",
    "standard_normal_noise",
    "within_mcse",
]

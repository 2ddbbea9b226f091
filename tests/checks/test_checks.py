"""The public library of checks: its documented examples, both halves of each check, and their statistics.

Statistical tests run a check on 200 seeds of answers that are right (and on
answers that are clearly wrong). A check's tolerance is 4.5 standard errors,
so a right answer fails about 7e-6 of the time; over 200 seeds the chance of
even one failure is about 1.4e-3 per test. The seeds are fixed, so each test
gives the same result on every run.
"""

import doctest
import importlib
import json
import pkgutil
import types

import jax.random as jr
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import widgets.checks
from widgets.checks import (
    Check,
    Context,
    allclose,
    close,
    coverage,
    healthy_fit,
    one_of,
    regression_data,
    same_draws,
    share_at_most,
    standard_normal_noise,
    within_mcse,
)
from widgets.checks.choice import digest
from widgets.grading import compare
from widgets.inference import Priors, linear_regression

SEEDS = range(200)
MODULES = sorted(m.name for m in pkgutil.iter_modules(widgets.checks.__path__))
CHECKS = [getattr(widgets.checks, name) for name in widgets.checks.__all__]
CHECKS = [c for c in CHECKS if isinstance(c, type) and issubclass(c, Check) and c is not Check]


@pytest.mark.parametrize("module", MODULES)
def test_every_docstring_example_runs_as_shown(module):
    """Does each module's every docstring example give the output written under it?"""
    mod = importlib.import_module(f"widgets.checks.{module}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, attempted = doctest.testmod(mod, optionflags=flags, raise_on_error=False, verbose=False)
    assert failed == 0
    assert attempted > 0 or module == "_check"


def test_the_library_has_its_checks_each_documented_with_an_example_and_a_verdict():
    """Is every check public, with an Examples section and a verdict that compare knows?"""
    assert sorted(c.__name__ for c in CHECKS) == sorted(
        ["same_draws", "within_mcse", "close", "allclose", "coverage", "share_at_most",
         "standard_normal_noise", "regression_data", "healthy_fit", "one_of",
         "moved_to_high_k", "same_schools_draws", "diverging_trajectory",  # lessons 3 and 5
         "simulator_noise", "panel_setting"]  # lesson 4
    )  # fmt: skip
    for check in CHECKS:
        assert "Examples\n    --------" in check.__doc__, check.__name__
        assert "compare.verdict" in check.__doc__, check.__name__  # the grader's half is shown too
        assert check.verdict in compare.COMPARATORS


X = np.linspace(-2.0, 2.0, 50)
CASES = [
    (close(2.5, atol=0.01), 2.504),
    (allclose([1.0, 2.0], rtol=0.01), [1.0, 2.01]),
    (within_mcse((2.0, 1.0), effective_draws=1000), 2.1),
    (coverage(0.95, draws=lambda seed: np.random.default_rng(seed).normal(size=4000)), (-1.96, 1.96)),
    (share_at_most(0.05, beyond=5, x=X, draws=4000, min_sd={"a": 1.0}), Priors(b=dist.Normal(0.0, 1.0))),
    (standard_normal_noise(mean=0.5 * X, sigma=0.3, shape=(50,)), 0.5 * X + 0.3 * np.sin(7 * X)),
    (regression_data(a=1.5, b=-0.5, sigma=0.3, n=50, x_range=(-2, 2)), (X, 1.5 * X - 0.5)),
    (same_draws(linear_regression), linear_regression),
    (one_of("ABCD", key="D"), "b"),
]


@pytest.mark.parametrize(("check", "answer"), CASES, ids=lambda c: type(c).__name__)
def test_the_graders_half_is_plain_json_and_agrees_with_instant_feedback(check, answer):
    """Does data() survive JSON, and does compare on it decide exactly as calling the check does?"""
    ctx = Context(challenge=3)
    data = json.loads(json.dumps(check.data(answer, ctx)))
    assert data["check"] == check.verdict
    result = check(answer, ctx)
    assert compare.verdict(data["check"], data["answer"], data["reference"]) == (result.passed, result.reason)


def test_fresh_checks_are_those_that_draw_anew():
    """Are checks with draws or a seed-taking reference fresh, and fixed references not?"""
    assert same_draws(linear_regression).fresh and share_at_most(0.05, beyond=5, x=X).fresh
    assert coverage(0.95, draws=lambda seed: [seed]).fresh and not coverage(0.95, draws=[0.0]).fresh
    assert close(lambda seed: seed).fresh and not close(1.0).fresh and not close(lambda: 1.0).fresh
    assert not one_of("AB", key="A").fresh and not regression_data(1, 0, 1, 10).fresh


def test_a_reference_that_takes_a_seed_gets_the_challenge():
    """Is a lambda with `seed` called with the context's challenge, and one without called bare?"""
    assert close(lambda seed: seed * 2.0).reference(Context(challenge=21))["value"] == 42.0
    assert close(lambda: 7.0).reference(Context(challenge=21))["value"] == 7.0


def test_an_answer_that_raises_is_a_failing_result_not_an_error():
    """Does a bug in the answer come back as 'your answer raised ...'?"""
    result = coverage(0.95, draws=[0.0, 1.0])((1.0,))
    assert result.passed is False and result.reason.startswith("your answer raised ValueError")


def test_reasons_never_reveal_the_reference():
    """Does a failing close or within_mcse leave the expected number out of its reason?"""
    for check in (close(3.14159, atol=1e-3), within_mcse((3.14159, 0.1), effective_draws=100)):
        assert "3.14" not in check(2.0).reason


# --- statistics, per check -------------------------------------------------


def failures(check, answers) -> int:
    return sum(not check(answer, ctx).passed for answer, ctx in answers)


def test_close_with_an_mcse_passes_estimates_centred_on_the_value():
    """Do estimates N(2, 0.01) pass close(2, mcse=0.01) on 200 seeds, and estimates 8 mcse off fail?"""
    check = close(2.0, mcse=0.01)
    estimates = [2.0 + 0.01 * np.random.default_rng(s).normal() for s in SEEDS]
    assert failures(check, [(e, None) for e in estimates]) == 0
    assert failures(check, [(e + 0.08, None) for e in estimates]) >= 190  # P(pass) = Phi(-3.5) ~ 2e-4


def test_allclose_with_an_mcse_passes_estimates_centred_on_the_array():
    """Do 3-element estimates with per-element error pass on 200 seeds (chance of a failure ~4e-3)?"""
    mcse = np.array([0.01, 0.1, 1.0])
    check = allclose([1.0, 2.0, 3.0], mcse=mcse)
    estimates = [np.array([1.0, 2.0, 3.0]) + mcse * np.random.default_rng(s).normal(size=3) for s in SEEDS]
    assert failures(check, [(e, None) for e in estimates]) == 0
    assert failures(check, [(e * 1.1, None) for e in estimates]) >= 190


def test_within_mcse_passes_means_of_independent_draws():
    """Does the mean of 1000 N(2, 1) draws pass within_mcse((2, 1), 1000) on 200 seeds, of N(2.5, 1) fail?"""
    check = within_mcse((2.0, 1.0), effective_draws=1000)
    means = [np.random.default_rng(s).normal(size=1000).mean() for s in SEEDS]
    assert failures(check, [(2.0 + m, None) for m in means]) == 0
    assert failures(check, [(2.5 + m, None) for m in means]) == 200  # 0.5 is 16 mcse


def test_coverage_passes_the_true_interval_and_fails_a_narrow_one():
    """Does N(0, 1)'s 95% interval pass on 200 challenges, and its 85% interval fail on all?"""
    check = coverage(0.95, draws=lambda seed: np.random.default_rng(seed).normal(size=4000))
    z95, z85 = 1.959964, 1.439531
    assert failures(check, [((-z95, z95), Context(challenge=s)) for s in SEEDS]) == 0
    assert failures(check, [((-z85, z85), Context(challenge=s)) for s in SEEDS]) == 200


def test_share_at_most_passes_priors_within_the_limit_on_every_challenge():
    """Do narrow priors (~0.6% beyond 5) pass on 200 challenges, and the tutorial's (~12%) fail on all?"""
    check = share_at_most(0.05, beyond=5, x=X, draws=4000, min_sd={"a": 1.0})
    narrow = Priors(a=dist.Normal(0.0, 1.0), b=dist.Normal(0.0, 1.0), sigma=dist.HalfNormal(0.5))
    assert failures(check, [(narrow, Context(challenge=s)) for s in SEEDS]) == 0
    assert failures(check, [(Priors(), Context(challenge=s)) for s in SEEDS]) == 200


def test_standard_normal_noise_passes_draws_from_the_model():
    """Do mean + 0.3 N(0, 1) draws of shape (4, 50) pass on 200 seeds, and with sd 0.45 fail on all?"""
    check = standard_normal_noise(mean=lambda: 1.5 * X - 0.5, sigma=0.3, shape=(4, 50))
    noise = [np.random.default_rng(s).normal(size=(4, 50)) for s in SEEDS]
    assert failures(check, [(1.5 * X - 0.5 + 0.3 * z, None) for z in noise]) == 0
    assert failures(check, [(1.5 * X - 0.5 + 0.45 * z, None) for z in noise]) == 200


def test_regression_data_passes_data_from_the_line():
    """Does data from the line pass on 200 seeds, and data from a line 0.3 higher fail on all?"""
    check = regression_data(a=1.5, b=-0.5, sigma=0.3, n=80, x_range=(-2, 2))
    data = []
    for s in SEEDS:
        rng = np.random.default_rng(s)
        x = rng.uniform(-2, 2, 80)
        data.append((x, 1.5 * x - 0.5 + 0.3 * rng.normal(size=80)))
    assert failures(check, [((x, y), None) for x, y in data]) == 0
    assert failures(check, [((x, y + 0.3), None) for x, y in data]) == 200  # 0.3 is 9 standard errors


def swapped_a_and_b(x, y=None):
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)


def no_plate(x, y=None):
    a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    b = numpyro.sample("b", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(a[..., None] * x[:1] + b[..., None], sigma[..., None]), obs=y)


@pytest.mark.parametrize("challenge", [0, 17, 123456])
def test_same_draws_passes_the_reference_at_any_challenge_and_names_what_differs(challenge):
    """At any challenge, does the reference pass, and a model sampling in another order fail on 'a'?"""
    check, ctx = same_draws(linear_regression), Context(challenge=challenge)
    assert check(linear_regression, ctx).passed
    result = check(swapped_a_and_b, ctx)
    assert result.reason == "draws of a differ from the reference model's"
    assert check(no_plate, ctx).hint == "Draw `y` once for each value of `x`: `y` must have the shape of `x`."


def test_one_of_by_key_by_digest_or_deferred():
    """Does one_of decide by key, by a digest only for its own salt, and defer with neither?"""
    assert one_of("ABCD", key="A")("a").passed
    salted = {"salt": "s1", "sha256": digest("A", salt="s1")}
    assert one_of("ABCD", digest=salted)("A").passed
    assert not one_of("ABCD", digest={"salt": "s2", "sha256": salted["sha256"]})("A").passed
    assert one_of("ABCD")("A").passed is None
    assert one_of("ABCD", digest=salted).data("C")["reference"]["answer"] == ""  # no key leaves the digest


def lesson_one_data():
    _, kx, kn = jr.split(jr.PRNGKey(0), 3)
    x = jr.uniform(kx, (80,), minval=-2.0, maxval=2.0)
    return x, 1.5 * x - 0.5 + 0.3 * jr.normal(kn, (80,))


@pytest.mark.parametrize(("samples", "passes"), [(200, True), (300, False), (100, False)])
def test_healthy_fit_on_lesson_one_data_finds_the_smallest_healthy_run(samples, passes):
    """On lesson 1's data, is 200 draws per chain healthy with 100 not (right), and 300 and 100 wrong?"""
    x, y = lesson_one_data()
    panel = types.SimpleNamespace(priors=Priors(), num_warmup=500, num_samples=samples, num_chains=4, seed=0)
    assert healthy_fit(x, y)(panel).passed is passes


def test_healthy_fit_refuses_changed_settings_without_fitting():
    """Is an answer with other warmup refused, naming it, with the hint to change only samples?"""
    panel = types.SimpleNamespace(priors=Priors(), num_warmup=100, num_samples=2000, num_chains=4, seed=0)
    result = healthy_fit(np.zeros(3), np.zeros(3))(panel)
    assert not result.passed and "keep 500 warmup" in result.reason
    assert result.hint.startswith("Change only samples")


def test_the_grader_decides_without_the_checks():
    """Does widgets/grading/compare.py, where verdicts are decided, import neither the checks nor JAX?"""
    import ast
    import pathlib

    source = pathlib.Path(compare.__file__).read_text()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not {m for m in imported if m and m.startswith(("widgets", "jax", "numpyro"))}

"""LOO and model comparison through ArviZ, and the padded regressions a panel re-fits without compiling."""

import warnings

import numpy as np
import pytest
from numpyro.infer.util import potential_energy

from widgets.inference import fit_model, linear_regression, student_t_regression
from widgets.inference._arviz import az
from widgets.inference.comparison import TABLE_COLUMNS, compare, comparison_table, high_k_points, loo
from widgets.inference.outliers import (
    CAPACITY,
    MASK,
    data_with_outliers,
    fit_padded,
    fit_padded_needs_compiling,
    padded,
    padded_linear_regression,
    padded_student_t_regression,
)
from widgets.inference.priors import TUTORIAL_PRIORS

N = 80
# The padded models' hyperparameters as fit_padded passes them: the same compiled samplers.
PRIORS = {"priors": TUTORIAL_PRIORS}


@pytest.fixture(scope="module")
def outlier_data():
    return data_with_outliers(N, num_outliers=3, seed=0)


@pytest.fixture(scope="module")
def padded_fits(outlier_data):
    """Both padded models on the 80 points with 3 outliers, 4 chains x 1000 draws, seed 0."""
    x, y, _ = outlier_data
    data = padded(x, y)
    return {
        "normal": fit_model(padded_linear_regression, data, hyperparameters=PRIORS, seed=0),
        "student_t": fit_model(padded_student_t_regression, data, hyperparameters=PRIORS, seed=0),
    }


def test_outliers_are_far_from_the_line_and_the_rest_are_not():
    """Are the outliers the points at least 8 noise scales off the true line, and only they?"""
    x, y, outliers = data_with_outliers(200, num_outliers=7, shift=3.0, seed=3)
    residual = np.abs(y - (1.5 * x - 0.5))
    assert outliers.size == 7 and np.all(np.diff(outliers) > 0)
    assert np.all(residual[outliers] > 0.8 * 3.0 - 5 * 0.3)
    others = np.setdiff1d(np.arange(200), outliers)
    assert np.all(residual[others] < 5 * 0.3)  # beyond 5 sd: chance below 1e-4 for 193 points


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"n": 0}, "n"),
        ({"num_outliers": 81}, "num_outliers"),
        ({"shift": -1.0}, "shift"),
        ({"seed": -1}, "seed"),
    ],
)
def test_data_with_outliers_refuses_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        data_with_outliers(**{"n": N, **kwargs})


def test_padded_data_hold_the_points_first_and_zeros_after():
    data = padded([1.0, 2.0], [3.0, 4.0], capacity=4)
    np.testing.assert_array_equal(data["x"], [1, 2, 0, 0])
    np.testing.assert_array_equal(data["y"], [3, 4, 0, 0])
    np.testing.assert_array_equal(data[MASK], [True, True, False, False])


@pytest.mark.parametrize(
    "x, y, word",
    [([], [], "empty"), ([1.0, np.nan], [1.0, 2.0], "finite"), ([1.0], [1.0, 2.0], "same length")],
)
def test_padded_refuses_bad_points(x, y, word):
    with pytest.raises(ValueError, match=word):
        padded(x, y)


def test_padded_refuses_more_points_than_its_capacity():
    with pytest.raises(ValueError, match=f"at most {CAPACITY}"):
        padded(np.zeros(CAPACITY + 1), np.zeros(CAPACITY + 1))


@pytest.mark.parametrize(
    "model, padded_model",
    [(linear_regression, padded_linear_regression), (student_t_regression, padded_student_t_regression)],
)
def test_a_padded_model_has_the_potential_energy_of_the_model_on_its_points(
    outlier_data, model, padded_model
):
    """Is the padded model's potential energy (NUTS's, Jacobians included) the model's on its points?"""
    x, y, _ = outlier_data
    data = padded(x, y)
    rng = np.random.default_rng(1)
    for _ in range(3):
        params = {"a": rng.normal(), "b": rng.normal(), "sigma": rng.normal(), "nu": rng.normal()}
        plain = potential_energy(model, (x, y, TUTORIAL_PRIORS), {}, params)
        masked = potential_energy(
            padded_model, (data["x"], data[MASK], data["y"], TUTORIAL_PRIORS), {}, params
        )
        np.testing.assert_allclose(float(masked), float(plain), rtol=1e-5)


def test_loo_is_arvizs_loo_of_the_fit(fitted):
    """Is loo(fit) az.loo on the fit's own InferenceData, number for number?"""
    ours = loo(fitted)
    theirs = az.loo(fitted.idata, pointwise=True)
    for key in ("elpd_loo", "se", "p_loo", "good_k", "n_samples", "n_data_points"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-12), key
    np.testing.assert_array_equal(ours["loo_i"].values, theirs["loo_i"].values)
    np.testing.assert_array_equal(ours["pareto_k"].values, theirs["pareto_k"].values)


def test_loo_of_a_padded_fit_scores_its_points_only(padded_fits, outlier_data):
    """Does a padded fit's LOO have one value per point, not per padded entry?"""
    for fit in padded_fits.values():
        assert fit.log_likelihood["y"].shape == (4, 1000, CAPACITY)
        np.testing.assert_array_equal(fit.log_likelihood["y"][..., N:], 0.0)
        score = loo(fit)
        assert score["n_data_points"] == N and score["loo_i"].shape == (N,)
        assert score["n_samples"] == 4000


def test_the_padded_fit_agrees_with_the_plain_fit(padded_fits, outlier_data):
    """Do a padded and a plain Student-t fit of the same points agree on elpd_loo, within a tenth of its se?

    Different programs draw different chains, so the two elpd_loo differ by
    Monte Carlo error only: far below the LOO's own standard error.
    """
    x, y, _ = outlier_data
    plain = loo(fit_model(student_t_regression, {"x": x, "y": y}, seed=0))
    ours = loo(padded_fits["student_t"])
    assert abs(ours["elpd_loo"] - plain["elpd_loo"]) < 0.1 * plain["se"]


@pytest.mark.parametrize("name, model", [("normal", linear_regression), ("student_t", student_t_regression)])
def test_fit_padded_is_the_padded_fit_cut_to_its_points(padded_fits, outlier_data, name, model):
    """Is fit_padded the padded model's run, draw for draw, with the log-likelihood of the 80 points alone?"""
    x, y, _ = outlier_data
    ours, whole = fit_padded(x, y, model=model, seed=0), padded_fits[name]
    assert ours.model is model and ours.priors == TUTORIAL_PRIORS
    for site, draws in whole.samples.items():
        np.testing.assert_array_equal(ours.samples[site], draws)
    np.testing.assert_array_equal(ours.log_likelihood["y"], whole.log_likelihood["y"][..., :N])
    np.testing.assert_array_equal(ours.x, x)
    np.testing.assert_array_equal(ours.y, y)
    assert set(ours.data) == {"x", "y"}


def test_az_loo_of_a_fit_padded_is_the_kits_loo_of_its_points_only(padded_fits, outlier_data):
    """Does az.loo on fit_padded's InferenceData score the 80 points, as the kit's loo of the padded fit?"""
    x, y, _ = outlier_data
    ours = fit_padded(x, y, model=student_t_regression, seed=0)
    assert ours.idata.log_likelihood["y"].shape == (4, 1000, N)
    assert ours.idata.posterior_predictive["y"].shape == (4, 1000, N)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        theirs = az.loo(ours.idata, pointwise=True)
    for kits in (loo(ours), loo(padded_fits["student_t"])):
        for key in ("elpd_loo", "se", "p_loo", "good_k", "n_samples", "n_data_points", "warning"):
            assert kits[key] == theirs[key], key
        np.testing.assert_array_equal(kits["pareto_k"].values, theirs["pareto_k"].values)
    assert theirs["n_data_points"] == N


def test_fit_padded_agrees_with_fit_within_monte_carlo_error(outlier_data):
    """Do fit_padded and the unpadded fit_model give the same posterior means, within 4.5 joint MCSE?

    Different programs draw different chains of one posterior: the means differ by Monte Carlo
    error alone (a false alarm about once in 10^5 per parameter).
    """
    x, y, _ = outlier_data
    ours = fit_padded(x, y, model=student_t_regression, seed=0).summary(["a", "b", "sigma", "nu"])
    plain = fit_model(student_t_regression, {"x": x, "y": y}, seed=0).summary(["a", "b", "sigma", "nu"])
    joint = np.hypot(ours["mcse_mean"], plain["mcse_mean"])
    assert np.all(np.abs(ours["mean"] - plain["mean"]) < 4.5 * joint)


def test_fit_padded_needs_compiling_says_when_it_compiles(outlier_data):
    """Is fit_padded_needs_compiling True before a first fit of a model and number of chains, then False?"""
    x, y, _ = outlier_data
    assert fit_padded_needs_compiling(model=linear_regression, num_chains=3)
    fit_padded(x[:7], y[:7], num_chains=3, num_samples=50, seed=0)
    assert not fit_padded_needs_compiling(model=linear_regression, num_chains=3)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"model": padded_linear_regression}, "model must be one of the kit's regressions"),
        ({"priors": "wide"}, "priors must be"),
        ({"num_samples": 0}, "num_samples"),
    ],
)
def test_fit_padded_refuses_what_it_cannot_fit(outlier_data, kwargs, words):
    x, y, _ = outlier_data
    with pytest.raises(ValueError, match=words):
        fit_padded(x, y, **kwargs)
    with pytest.raises(ValueError, match=f"at most {CAPACITY}"):
        fit_padded(np.zeros(CAPACITY + 1), np.zeros(CAPACITY + 1))


def test_loo_prefers_the_student_t_model_on_data_with_outliers(padded_fits, outlier_data):
    """Does the comparison rank the Student-t model first, by more than 2 dse, with most of the weight?"""
    table = compare(padded_fits)
    assert list(table.index) == ["student_t", "normal"]
    assert table.loc["normal", "elpd_diff"] > 2 * table.loc["normal", "dse"] > 0
    assert table.loc["student_t", "weight"] > 0.9
    # elpd_diff and dse are ArviZ's, from the two LOOs' pointwise values.
    normal, robust = loo(padded_fits["normal"]), loo(padded_fits["student_t"])
    difference = robust["loo_i"].values - normal["loo_i"].values
    assert table.loc["normal", "elpd_diff"] == pytest.approx(difference.sum(), rel=1e-6)
    assert table.loc["normal", "dse"] == pytest.approx(np.sqrt(N * difference.var()), rel=1e-6)


def test_the_normal_models_high_k_points_are_outliers(padded_fits, outlier_data):
    """Are the points where the Normal model's Pareto k passes good_k outliers, and none for the Student-t?"""
    _, _, outliers = outlier_data
    normal = high_k_points(loo(padded_fits["normal"]))
    assert normal.size >= 1 and set(normal) <= set(outliers)
    assert high_k_points(loo(padded_fits["student_t"])).size == 0


def test_high_k_points_compares_with_arvizs_good_k_for_the_draws():
    """Does high_k_points use good_k (0.667 at 1,000 draws), not a fixed 0.7?"""
    x, y, _ = data_with_outliers(N, num_outliers=3, seed=0)
    score = loo(fit_model(linear_regression, {"x": x, "y": y}, num_samples=250, seed=0))
    assert score["n_samples"] == 1000
    assert score["good_k"] == pytest.approx(1 - 1 / np.log10(1000))
    k = score["pareto_k"].values
    np.testing.assert_array_equal(high_k_points(score), np.flatnonzero(k > score["good_k"]))
    # The same LOO judged against k = 0.7: only the points above 0.7.
    score["good_k"] = 0.7
    np.testing.assert_array_equal(high_k_points(score), np.flatnonzero(k > 0.7))


def test_comparison_table_has_the_panels_columns_best_first(padded_fits):
    table = comparison_table({"normal": loo(padded_fits["normal"]), "student_t": padded_fits["student_t"]})
    assert tuple(table.columns) == TABLE_COLUMNS
    assert list(table.index) == ["student_t", "normal"]
    assert table.loc["student_t", "elpd_diff"] == 0 and table.loc["student_t", "dse"] == 0


def test_compare_refuses_one_model_or_models_of_different_points(padded_fits, outlier_data):
    x, y, _ = outlier_data
    with pytest.raises(ValueError, match="at least two"):
        compare({"normal": padded_fits["normal"]})
    fewer = fit_padded(x[:10], y[:10], num_samples=100, seed=0)
    with pytest.raises(ValueError, match="same data points"):
        compare({"normal": padded_fits["normal"], "fewer": fewer})
    with pytest.raises(ValueError, match="expected a Fit"):
        compare({"normal": padded_fits["normal"], "other": "idata"})


def test_loo_refuses_what_is_not_a_fit_or_not_its_site(fitted):
    with pytest.raises(ValueError, match="must be a Fit"):
        loo(fitted.idata)
    with pytest.raises(ValueError, match="var_name"):
        loo(fitted, var_name="z")


def test_a_padded_model_fits_new_numbers_of_points_without_compiling(outlier_data, compile_counter):
    """Does a point added or removed re-fit the padded models with no trace and no compile?"""
    x, y, _ = outlier_data
    for model in (linear_regression, student_t_regression):
        fit_padded(x, y, model=model, num_samples=100, seed=0)
    counter = compile_counter()
    for n in (N + 1, N - 5, 3):
        xs = np.append(x, 0.5)[:n]
        ys = np.append(y, 0.2)[:n]
        for model in (linear_regression, student_t_regression):
            score = loo(fit_padded(xs, ys, model=model, num_samples=100, seed=1))
            assert score["n_data_points"] == n
    assert (counter.traces, counter.compilations) == (0, 0)


def _arviz_loo_from_the_posterior(fit):
    """az.loo as ArviZ runs it unaided: on the posterior and the masked-in log-likelihood, reff its own."""
    (name, log_likelihood), = fit.log_likelihood.items()
    if MASK in fit.data:
        log_likelihood = log_likelihood[..., np.asarray(fit.data[MASK], bool)]
    data = az.from_dict(posterior=fit.samples, log_likelihood={name: log_likelihood})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        return az.loo(data, pointwise=True)


def test_loo_given_its_relative_efficiency_is_arvizs_loo_from_the_posterior_exactly(
    padded_fits, fitted, schools_centered
):
    """Is loo(fit), which passes az.loo the reff ArviZ would compute, ArviZ's unaided LOO to the last bit?

    The eight schools' posterior has a vector variable (one theta per school).
    """
    assert schools_centered.samples["theta"].shape == (4, 1000, 8)
    for fit in (*padded_fits.values(), fitted, schools_centered):
        ours, theirs = loo(fit), _arviz_loo_from_the_posterior(fit)
        for key in ("elpd_loo", "se", "p_loo", "good_k", "n_samples", "n_data_points", "warning"):
            assert ours[key] == theirs[key], key
        for key in ("loo_i", "pareto_k"):
            np.testing.assert_array_equal(ours[key].values, theirs[key].values)


def test_loo_of_one_chain_is_arvizs_loo_from_the_posterior_exactly(outlier_data):
    """With one chain ArviZ takes reff = 1: does loo(fit) too?"""
    x, y, _ = outlier_data
    fit = fit_model(student_t_regression, {"x": x, "y": y}, num_chains=1, num_samples=300, seed=2)
    ours, theirs = loo(fit), _arviz_loo_from_the_posterior(fit)
    assert ours["elpd_loo"] == theirs["elpd_loo"] and ours["se"] == theirs["se"]
    np.testing.assert_array_equal(ours["pareto_k"].values, theirs["pareto_k"].values)

"""record_trajectory: NumPyro's own NUTS transition, recorded step by step, compiled once.

The recorded tree is compared with NumPyro's NUTS kernel making the same
transition (same point, step size, mass matrix and key): same proposal, same
number of steps, same divergence flag. Divergences are graded as "more than
zero against about zero", never as exact counts.
"""

import jax
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from numpyro.infer import NUTS
from numpyro.infer.util import potential_energy

from widgets.inference import EIGHT_SCHOOLS, Fit, eight_schools, fit_model
from widgets.inference.checks import _as_model_data
from widgets.inference.models import _bound
from widgets.inference.trajectory import (
    MAX_DELTA_ENERGY,
    MAX_TREE_DEPTH,
    record_trajectory,
    start_near,
    unconstrained_coordinates,
    unconstrained_draws,
)

SEEDS = range(12)


@pytest.fixture(scope="module")
def regression(fitted):
    return fitted


def _numpyro_transition(fit: Fit, start, *, chain, seed):
    """NumPyro's NUTS kernel, one transition from `start` with the fit's adaptation and key `seed`."""
    data, sizes = _as_model_data(dict(fit.data))
    args = (data, fit.hyperparameters, sizes)
    bound = _bound(fit.model)
    kernel = NUTS(bound)
    state = kernel.init(jax.random.PRNGKey(1), 0, None, args, {})
    _, unravel = ravel_pytree(state.z)
    z = unravel(np.asarray(start, np.float32))
    pe, grad = jax.value_and_grad(lambda z: potential_energy(bound, args, {}, z))(z)
    imm = {k: np.asarray(v[chain], np.float32) for k, v in fit.inverse_mass_matrix.items()}
    adapt = state.adapt_state._replace(
        step_size=np.float32(fit.sample_stats["step_size"][chain, -1]),
        inverse_mass_matrix=imm,
        mass_matrix_sqrt={k: 1 / np.sqrt(v) for k, v in imm.items()},
        mass_matrix_sqrt_inv={k: np.sqrt(v) for k, v in imm.items()},
    )
    state = state._replace(
        z=z, potential_energy=pe, z_grad=grad, adapt_state=adapt, rng_key=jax.random.PRNGKey(seed)
    )
    new = kernel.sample(state, args, {})
    return ravel_pytree(new.z)[0], int(new.num_steps), bool(new.diverging)


def test_coordinates_are_named_in_the_space_nuts_moves_in(schools_centered, regression):
    """Is a positive site named by its log, a vector site by index, in NumPyro's sorted order?"""
    names = unconstrained_coordinates(schools_centered)
    assert names == ("mu", "log tau", *(f"theta[{j}]" for j in range(8)))
    assert unconstrained_coordinates(regression) == ("a", "b", "log sigma")


def test_unconstrained_draws_are_the_logs_of_positive_draws(schools_centered):
    """Does the unconstrained tau coordinate hold log of each tau draw, and theta stay as drawn?"""
    draws = unconstrained_draws(schools_centered)
    assert draws.shape == (4, 1000, 10)
    np.testing.assert_allclose(draws[..., 1], np.log(schools_centered.samples["tau"]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(draws[..., 2:], schools_centered.samples["theta"], rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("log_tau", [1.5, -1.0])
def test_the_recorded_tree_is_numpyros_nuts_transition(schools_centered, seed, log_tau):
    """From the same point, adaptation and key, does NumPyro's NUTS kernel take the same tree?"""
    start = start_near(schools_centered, {"theta[0]": 5.0, "log tau": log_tau})
    trajectory = record_trajectory(schools_centered, start, chain=1, seed=seed)
    proposal, num_steps, diverging = _numpyro_transition(schools_centered, start, chain=1, seed=seed)
    assert trajectory.num_steps == num_steps
    assert trajectory.diverging == diverging
    np.testing.assert_allclose(trajectory.proposal, proposal, rtol=1e-4, atol=1e-4)


def test_a_tree_doubles_in_one_direction_at_a_time(regression):
    """Does doubling k add its steps in one direction, ending where a U-turn (or max depth) stops it?"""
    for seed in SEEDS:
        t = record_trajectory(regression, {"a": 1.5}, seed=seed)
        assert 2 ** (t.depth - 1) - 1 < t.num_steps <= 2**t.depth - 1
        for k in range(t.depth):
            assert len(set(t.forward[t.doubling == k])) == 1
        assert t.turning or t.depth == MAX_TREE_DEPTH
        # The next draw is the start or a point of the tree.
        candidates = np.vstack([t.start, t.positions])
        assert np.min(np.abs(candidates - t.proposal).max(axis=1)) < 1e-6


def test_leapfrog_steps_are_spaced_by_the_step_size(regression):
    """In a well-behaved posterior, do steps move about step_size x velocity, with small energy errors?"""
    t = record_trajectory(regression, {"a": 1.5, "b": -0.5}, seed=0)
    assert t.num_steps >= 3
    assert np.all(np.abs(t.energy_error) < 1.0)
    assert not t.diverging and t.divergent_step is None


def test_the_funnels_neck_diverges_and_its_mouth_does_not(schools_centered):
    """Centered eight schools: from small tau, trees diverge; from typical tau, about none do."""
    neck = [record_trajectory(schools_centered, {"log tau": -4.0}, seed=s) for s in SEEDS]
    mouth = [record_trajectory(schools_centered, {"log tau": 2.0}, seed=s) for s in SEEDS]
    assert sum(t.diverging for t in neck) > len(SEEDS) // 2
    assert sum(t.diverging for t in mouth) <= 1
    for t in neck:
        if t.diverging:
            # The divergent step is the last one, where the energy error blew past the threshold.
            assert t.divergent_step == t.num_steps - 1
            assert not t.energy_error[-1] <= MAX_DELTA_ENERGY


def test_no_recompile_for_a_new_start_seed_chain_or_fit(compile_counter):
    """Once compiled, do a new start, seed, chain and a new fit of the same model reuse the program?"""
    data = {**EIGHT_SCHOOLS, "y": EIGHT_SCHOOLS["y"] + 1.0}
    first = fit_model(eight_schools, data, num_warmup=200, num_samples=200, seed=3)
    record_trajectory(first, {"log tau": 0.0}, seed=0)
    counter = compile_counter()
    second = fit_model(eight_schools, EIGHT_SCHOOLS, num_warmup=200, num_samples=200, seed=4)
    for seed, chain, log_tau in [(1, 0, 1.0), (2, 3, -2.0), (3, 2, 0.5)]:
        for fit in (first, second):
            record_trajectory(fit, {"log tau": log_tau, "theta[3]": 2.0}, chain=chain, seed=seed)
    assert counter.compilations == 0
    assert counter.traces == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start": [0.0, 1.0]}, r"start must be 10 finite numbers, one per coordinate \['mu', 'log tau'"),
        ({"start": [np.nan] * 10}, "start must be 10 finite numbers"),
        ({"start": {"tau": 1.0}}, r"coordinate must be one of \['mu', 'log tau'.*; got 'tau'"),
        ({"start": {"log tau": np.inf}}, "values must be finite numbers"),
        ({"start": {}}, "values must be a dict of coordinate names to numbers"),
        ({"chain": 4}, r"chain must be an integer in \[0, 4\); got 4"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*32\); got -1"),
    ],
)
def test_bad_input_is_refused_naming_it(schools_centered, kwargs, message):
    """Does record_trajectory refuse a bad start, chain or seed with a ValueError naming it and its range?"""
    kwargs = {"start": {"log tau": 0.0}, **kwargs}
    with pytest.raises(ValueError, match=message):
        record_trajectory(schools_centered, kwargs.pop("start"), **kwargs)


def test_a_fit_without_adaptation_is_refused(schools_centered):
    """Is a Fit that carries no adapted mass matrix refused with a message saying what to do?"""
    import dataclasses

    bare = dataclasses.replace(schools_centered, inverse_mass_matrix=None)
    with pytest.raises(ValueError, match="fit the model with fit_model or fit"):
        record_trajectory(bare, {"log tau": 0.0})
    with pytest.raises(ValueError, match="fit must be a Fit"):
        record_trajectory("fit", {"log tau": 0.0})

"""One NUTS transition of a fit, replayed and recorded leapfrog step by leapfrog step.

The tree is NumPyro's own: :func:`numpyro.infer.hmc_util.build_tree` with
:func:`~numpyro.infer.hmc_util.velocity_verlet` on the model's
``potential_fn`` from :func:`numpyro.infer.util.initialize_model`, from the
fit's adapted step size and diagonal mass matrix, with the momentum drawn as
NumPyro's NUTS kernel draws it (:func:`numpyro.infer.hmc.momentum_generator`).
So the recorded tree is the very transition NumPyro's NUTS makes from that
point with that key. Each leapfrog step is written into fixed-size buffers
(JAX mutable arrays, ``jax.new_ref``: at most ``2**MAX_TREE_DEPTH`` steps)
from inside the integrator, so the whole replay is one compiled program per
model and data signature: a new start point, seed or fit of the same model
reuses it.

Positions are in the unconstrained space NUTS moves in: a positive ``tau`` is
``log tau`` there, a probability ``p`` is ``logit p``
(:func:`unconstrained_coordinates` names them).
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from numpyro.distributions import biject_to
from numpyro.distributions.transforms import ExpTransform, IdentityTransform, SigmoidTransform
from numpyro.infer.hmc import momentum_generator
from numpyro.infer.hmc_util import build_tree, euclidean_kinetic_energy, velocity_verlet
from numpyro.infer.util import initialize_model, unconstrain_fn

from widgets.inference.checks import _as_model_data, _as_seed
from widgets.inference.models import _bound
from widgets.inference.results import Fit
from widgets.inference.sampler import _signature

MAX_TREE_DEPTH = 10
"""NUTS' maximum tree depth, NumPyro's default and the kit's engine's: at most 2**10 - 1 steps."""

MAX_DELTA_ENERGY = 1000.0
"""NumPyro's divergence threshold: a step whose energy error exceeds it is divergent."""

_CAPACITY = 2**MAX_TREE_DEPTH
_PREFIXES = {IdentityTransform: "", ExpTransform: "log ", SigmoidTransform: "logit "}


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """One NUTS transition, step by step, in the unconstrained space.

    Attributes
    ----------
    coordinates : tuple of str
        The names of the unconstrained coordinates (see :func:`unconstrained_coordinates`).
    start : numpy.ndarray, shape (d,)
        Where the transition starts.
    momentum : numpy.ndarray, shape (d,)
        The momentum NUTS drew at the start.
    positions : numpy.ndarray, shape (num_steps, d)
        Each leapfrog point, in the order NumPyro computed them.
    forward : numpy.ndarray of bool, shape (num_steps,)
        Whether each step went forward in time (positive step size) or backward.
    doubling : numpy.ndarray of int, shape (num_steps,)
        The tree doubling each step belongs to: doubling k adds up to 2**k steps,
        all in one direction.
    energy_error : numpy.ndarray, shape (num_steps,)
        The Hamiltonian at each point minus at the start; NaN where it could not be computed.
    proposal : numpy.ndarray, shape (d,)
        The point the transition moves to (the next draw).
    diverging, turning : bool
        Whether the tree stopped on a divergence, or on a U-turn.
    depth : int
        The depth of the tree: how many doublings it took.
    accept_prob : float
        The mean acceptance probability over the tree's points.
    step_size : float
        The step size used.
    """

    coordinates: tuple[str, ...]
    start: np.ndarray
    momentum: np.ndarray
    positions: np.ndarray
    forward: np.ndarray
    doubling: np.ndarray
    energy_error: np.ndarray
    proposal: np.ndarray
    diverging: bool
    turning: bool
    depth: int
    accept_prob: float
    step_size: float

    @property
    def num_steps(self) -> int:
        """The number of leapfrog steps in the tree."""
        return len(self.forward)

    @property
    def divergent_step(self) -> int | None:
        """The index of the step whose energy error blew up (past ``MAX_DELTA_ENERGY``), or None."""
        blown = np.flatnonzero(~(self.energy_error <= MAX_DELTA_ENERGY))
        return int(blown[0]) if blown.size else None

    def coordinate(self, name: str) -> int:
        """The index of coordinate `name` in `start`, `positions` and `proposal`."""
        return _index(self.coordinates, name)


def _index(coordinates: tuple[str, ...], name: str) -> int:
    if name not in coordinates:
        raise ValueError(f"coordinate must be one of {list(coordinates)}; got {name!r}")
    return coordinates.index(name)


class _Replay:
    """The compiled programs of one model: unconstrain draws, record a transition."""

    def __init__(self, model):
        self.bound = _bound(model)
        self.record = jax.jit(self._record, static_argnames="sizes")
        self.unconstrain = jax.jit(self._unconstrain, static_argnames="sizes")
        self.layouts: dict[tuple, tuple] = {}

    def _model_info(self, data, hyperparameters, sizes):
        # Only the structure of the initial parameters and the potential function are used:
        # the search for initial values is dead code in the compiled programs.
        return initialize_model(jax.random.PRNGKey(0), self.bound, model_args=(data, hyperparameters, sizes))

    def layout(self, data, hyperparameters, sizes) -> tuple:
        """``(site, prefix, unconstrained shape)`` of each latent site, in NumPyro's (sorted) order."""
        signature = _signature(data, hyperparameters, sizes)
        if signature not in self.layouts:
            found = []

            def run(data, hyperparameters):
                info = self._model_info(data, hyperparameters, sizes)
                for name in sorted(info.param_info.z):
                    transform = biject_to(info.model_trace[name]["fn"].support)
                    prefix = _PREFIXES.get(type(transform), "unconstrained ")
                    found.append((name, prefix, tuple(jnp.shape(info.param_info.z[name]))))
                return 0

            jax.eval_shape(run, data, hyperparameters)
            self.layouts[signature] = tuple(found)
        return self.layouts[signature]

    def _unconstrain(self, samples, data, hyperparameters, sizes):
        args = (data, hyperparameters, sizes)
        one = functools.partial(unconstrain_fn, self.bound, args, {})
        return jax.vmap(lambda params: ravel_pytree(one(params))[0])(samples)

    def _record(self, start, inverse_mass_matrix, step_size, seed, data, hyperparameters, sizes):
        info = self._model_info(data, hyperparameters, sizes)
        _, unravel = ravel_pytree(info.param_info.z)
        z = unravel(start)
        # As NumPyro's NUTS sample_kernel splits its state's key and draws the momentum.
        _, key_momentum, key_transition = jax.random.split(jax.random.PRNGKey(seed), 3)
        mass_matrix_sqrt = jax.tree.map(lambda v: jnp.reciprocal(jnp.sqrt(v)), inverse_mass_matrix)
        r = momentum_generator(z, mass_matrix_sqrt, key_momentum)
        vv_init, vv_update = velocity_verlet(info.potential_fn, euclidean_kinetic_energy)
        state = vv_init(z, r)
        energy_start = state.potential_energy + euclidean_kinetic_energy(inverse_mass_matrix, r)
        positions = jax.new_ref(jnp.zeros((_CAPACITY, jnp.size(start)), jnp.result_type(start)))
        energy_error = jax.new_ref(jnp.zeros(_CAPACITY, jnp.result_type(start)))
        forward = jax.new_ref(jnp.zeros(_CAPACITY, bool))
        count = jax.new_ref(jnp.zeros((), jnp.int32))

        def recorded_update(step_size, inverse_mass_matrix, state):
            new = vv_update(step_size, inverse_mass_matrix, state)
            i = jnp.minimum(count[...], _CAPACITY - 1)
            positions[i] = ravel_pytree(new.z)[0]
            energy = new.potential_energy + euclidean_kinetic_energy(inverse_mass_matrix, new.r)
            energy_error[i] = energy - energy_start
            forward[i] = step_size > 0  # build_tree flips the step size's sign to go backward
            count[...] = count[...] + 1
            return new

        tree = build_tree(
            recorded_update,
            euclidean_kinetic_energy,
            state,
            inverse_mass_matrix,
            step_size,
            key_transition,
            max_delta_energy=MAX_DELTA_ENERGY,
            max_tree_depth=MAX_TREE_DEPTH,
        )
        return {
            "momentum": ravel_pytree(r)[0],
            "positions": positions[...],
            "energy_error": energy_error[...],
            "forward": forward[...],
            "num_steps": count[...],
            "proposal": ravel_pytree(tree.z_proposal)[0],
            "diverging": tree.diverging,
            "turning": tree.turning,
            "depth": tree.depth,
            "accept_prob": tree.sum_accept_probs / tree.num_proposals,
        }


# Compiled programs by model, least recently used first.
_REPLAYS: dict = {}
_MAX_REPLAYS = 16
# Unconstrained draws by fit, computed once.
_DRAWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _replay(model) -> _Replay:
    replay = _REPLAYS.pop(model, None)
    if replay is None:
        if len(_REPLAYS) >= _MAX_REPLAYS:
            del _REPLAYS[next(iter(_REPLAYS))]
        replay = _Replay(model)
    _REPLAYS[model] = replay
    return replay


def _check_fit(fit) -> tuple[_Replay, dict, tuple, dict]:
    if not isinstance(fit, Fit):
        raise ValueError(f"fit must be a Fit (from fit_model or fit); got {type(fit).__name__}")
    arrays, sizes = _as_model_data(dict(fit.data))
    return _replay(fit.model), arrays, sizes, fit.hyperparameters


def unconstrained_coordinates(fit: Fit) -> tuple[str, ...]:
    """The names of the coordinates NUTS moves in, in NumPyro's order.

    A site on the real line keeps its name (``mu``), a positive one is named
    by its logarithm (``log tau``), one in (0, 1) by its logit (``logit p``),
    any other ``unconstrained <site>``; a site with several elements has one
    coordinate each, indexed (``theta[0]``).

    Parameters
    ----------
    fit : Fit
        A fit of any model.

    Returns
    -------
    tuple of str
        One name per unconstrained coordinate.
    """
    replay, arrays, sizes, hyperparameters = _check_fit(fit)
    names = []
    for site, prefix, shape in replay.layout(arrays, hyperparameters, sizes):
        if shape == ():
            names.append(f"{prefix}{site}")
        else:
            names.extend(f"{prefix}{site}[{','.join(map(str, index))}]" for index in np.ndindex(shape))
    return tuple(names)


def unconstrained_draws(fit: Fit) -> np.ndarray:
    """The fit's posterior draws in the unconstrained space NUTS moved in.

    Parameters
    ----------
    fit : Fit
        A fit of any model.

    Returns
    -------
    numpy.ndarray, shape (chains, draws, d)
        The draws, coordinates as :func:`unconstrained_coordinates` names them.
    """
    if fit in _DRAWS:
        return _DRAWS[fit]
    replay, arrays, sizes, hyperparameters = _check_fit(fit)
    sites = [site for site, _, _ in replay.layout(arrays, hyperparameters, sizes)]
    chains, draws = fit.samples[sites[0]].shape[:2]
    flat = {site: fit.samples[site].reshape(chains * draws, *fit.samples[site].shape[2:]) for site in sites}
    result = np.asarray(replay.unconstrain(flat, arrays, hyperparameters, sizes=sizes))
    result = result.reshape(chains, draws, -1)
    _DRAWS[fit] = result
    return result


def start_near(fit: Fit, values: Mapping[str, float]) -> np.ndarray:
    """A start point with the given coordinates, the others from the nearest posterior draw.

    The nearest draw is the one closest to `values` in the named coordinates,
    each measured in posterior standard deviations.

    Parameters
    ----------
    fit : Fit
        A fit of any model.
    values : dict of str to float
        Values of some unconstrained coordinates, e.g. ``{"theta[0]": 2.0, "log tau": -3.0}``.

    Returns
    -------
    numpy.ndarray, shape (d,)
        The start point, in the unconstrained space.
    """
    coordinates = unconstrained_coordinates(fit)
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"values must be a dict of coordinate names to numbers; got {values!r}")
    indices = [_index(coordinates, name) for name in values]
    wanted = np.array([float(v) for v in values.values()])
    if not np.all(np.isfinite(wanted)):
        raise ValueError(f"values must be finite numbers; got {dict(values)}")
    draws = unconstrained_draws(fit).reshape(-1, len(coordinates))
    spread = draws[:, indices].std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    nearest = draws[np.argmin((((draws[:, indices] - wanted) / spread) ** 2).sum(axis=1))]
    start = nearest.copy()
    start[indices] = wanted
    return start


def record_trajectory(fit: Fit, start, *, chain: int = 0, seed: int = 0) -> Trajectory:
    """Replay one NUTS transition of `fit` from `start` and record every leapfrog step.

    NumPyro's own ``build_tree`` runs from `start` with the step size and
    diagonal inverse mass matrix that `chain` adapted, and the momentum NUTS
    draws from `seed`'s key. Compiled once per model and data signature.

    Parameters
    ----------
    fit : Fit
        A fit from :func:`~widgets.inference.fit_model` or :func:`~widgets.inference.fit`.
    start : array_like of shape (d,), or dict of str to float
        The start in the unconstrained space: all coordinates, or some by name
        (the others from the nearest posterior draw, :func:`start_near`).
    chain : int
        Whose adaptation (step size and mass matrix) to use.
    seed : int
        Seed of the momentum and of the tree's random doubling directions, in [0, 2**32).

    Returns
    -------
    Trajectory
        The steps, their directions and energy errors, the proposal and why the tree stopped.

    Raises
    ------
    ValueError
        If `fit` carries no adaptation, `start` is not finite or of the wrong
        size, or `chain` or `seed` is out of range.
    """
    replay, arrays, sizes, hyperparameters = _check_fit(fit)
    if fit.inverse_mass_matrix is None or "step_size" not in fit.sample_stats:
        raise ValueError(
            "this fit carries no adapted step size and mass matrix (a Fit.from_mcmc?); "
            "fit the model with fit_model or fit to replay its transitions"
        )
    coordinates = unconstrained_coordinates(fit)
    num_chains = fit.samples[next(iter(fit.samples))].shape[0]
    if isinstance(chain, bool) or not isinstance(chain, (int, np.integer)) or not 0 <= chain < num_chains:
        raise ValueError(f"chain must be an integer in [0, {num_chains}); got {chain!r}")
    seed = _as_seed(seed)
    if isinstance(start, Mapping):
        start = start_near(fit, start)
    start = np.asarray(start, np.float32)
    if start.shape != (len(coordinates),) or not np.all(np.isfinite(start)):
        raise ValueError(
            f"start must be {len(coordinates)} finite numbers, one per coordinate {list(coordinates)}; "
            f"got {start.tolist()}"
        )
    inverse_mass_matrix = {
        block: np.asarray(matrix[chain], np.float32) for block, matrix in fit.inverse_mass_matrix.items()
    }
    if any(matrix.ndim != 1 for matrix in inverse_mass_matrix.values()):
        raise ValueError("record_trajectory replays a diagonal mass matrix, as the kit's engine adapts")
    step_size = np.float32(fit.sample_stats["step_size"][chain, -1])
    out = jax.device_get(
        replay.record(start, inverse_mass_matrix, step_size, seed, arrays, hyperparameters, sizes=sizes)
    )
    n = int(out["num_steps"])
    steps = np.arange(n)
    return Trajectory(
        coordinates=coordinates,
        start=start,
        momentum=np.asarray(out["momentum"]),
        positions=np.asarray(out["positions"][:n]),
        forward=np.asarray(out["forward"][:n]),
        # Doublings before the last are complete (else the tree stops): doubling k holds steps 2**k - 1 on.
        doubling=np.floor(np.log2(steps + 1)).astype(int),
        energy_error=np.asarray(out["energy_error"][:n]),
        proposal=np.asarray(out["proposal"]),
        diverging=bool(out["diverging"]),
        turning=bool(out["turning"]),
        depth=int(out["depth"]),
        accept_prob=float(out["accept_prob"]),
        step_size=float(step_size),
    )

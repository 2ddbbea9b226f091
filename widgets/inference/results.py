"""The result of a fit of any model: ``Fit``, its draws, and their ArviZ conversion and summary."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpyro.infer import log_likelihood as _log_likelihood

from widgets.inference._arviz import az
from widgets.inference.checks import _check_model, as_data
from widgets.inference.compiled import _return_freed_memory, _to_numpy
from widgets.inference.diagnostics import Diagnostics, _diagnose
from widgets.inference.models import _call_with_priors, _regression_model
from widgets.inference.predictive import sample_posterior_predictive
from widgets.inference.priors import TUTORIAL_PRIORS, Priors

HDI_PROB = 0.94

# The regression's dims in ArviZ: its data points along "obs".
_REGRESSION_DIMS = {"y": ["obs"], "x": ["obs"]}


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """The result of :func:`fit_model` or :func:`fit`: posterior draws and what ArviZ says of them.

    Attributes
    ----------
    samples : dict of str to numpy.ndarray
        Posterior draws of the latent and deterministic sites, each of shape
        ``(chains, draws)`` plus the site's own shape.
    sample_stats : dict of str to numpy.ndarray
        Per-draw sampler statistics (``diverging``, ``lp``, ``energy``,
        ``acceptance_rate``, ``n_steps``, ``step_size``), shape ``(chains, draws)``.
    log_likelihood : dict of str to numpy.ndarray
        Pointwise log-likelihood of each observed site, ``(chains, draws)``
        plus the site's shape.
    observed_data : dict of str to numpy.ndarray
        The value of each observed site.
    data : dict
        The model's data arguments that were fitted: arrays, and integer sizes.
    hyperparameters : dict
        The model's other arguments, such as the regression's ``priors``.
    model : callable
        The NumPyro model that was fitted, called as ``model(**data, **hyperparameters)``.
    seed : int
        The seed of the run.
    latent_sites : tuple of str
        The names in `samples`, sorted.
    observed_arguments : dict of str to str or None
        Each observed site's data argument (None if the model computes what it
        observes): :func:`sample_posterior_predictive` leaves these out.
    dims : dict of str to list of str
        Dimension names of sites and data, for ArviZ (from the model's plates
        unless given).
    inverse_mass_matrix : dict of tuple to numpy.ndarray, or None
        The adapted diagonal inverse mass matrix of each chain, as NumPyro
        keys it: by block of latent site names (one block of all sites with
        the engine's diagonal mass matrix), each of shape ``(chains, block
        size)`` over the block's unconstrained sites in order, each flattened.
        None when the fit did not come from the kit's engine (:meth:`from_mcmc`).
    """

    samples: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    log_likelihood: dict[str, np.ndarray]
    observed_data: dict[str, np.ndarray]
    data: dict[str, Any]
    hyperparameters: dict[str, Any]
    model: Callable
    seed: int
    latent_sites: tuple[str, ...]
    observed_arguments: dict[str, str | None]
    dims: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    inverse_mass_matrix: dict[tuple[str, ...], np.ndarray] | None = None

    @property
    def x(self) -> np.ndarray:
        """The regression's inputs (a fit of :func:`fit`)."""
        return self._regression("x", self.data)

    @property
    def y(self) -> np.ndarray:
        """The regression's observations (a fit of :func:`fit`)."""
        return self._regression("y", self.data)

    @property
    def priors(self) -> Priors:
        """The regression's priors (a fit of :func:`fit`)."""
        return self._regression("priors", self.hyperparameters)

    def _regression(self, name: str, arguments: dict) -> Any:
        if name not in arguments:
            # An AttributeError, so that hasattr(fit, name) is False for other models.
            raise AttributeError(f"this fit's model takes no {name!r}; its arguments are {sorted(arguments)}")
        return arguments[name]

    @classmethod
    def from_mcmc(
        cls, mcmc, x, y, *, model: Callable | None = None, priors: Priors = TUTORIAL_PRIORS, seed: int = 0
    ) -> Fit:
        """A Fit from a NumPyro ``MCMC`` that has run on ``(x, y)``.

        Lets the panels and checks use a run made the tutorial's way, without
        compiling a second sampler.

        Parameters
        ----------
        mcmc : numpyro.infer.MCMC
            A run of `model` on ``x=x, y=y``.
        x, y : array_like
            The data it was run on.
        model : callable, optional
            The model it ran; ``mcmc.sampler.model`` by default.
        priors : Priors
            The priors, if the model takes them.
        seed : int
            Seed for the Fit's own predictive draws.
        """
        if not hasattr(mcmc, "get_samples"):
            raise ValueError(f"mcmc must be a numpyro.infer.MCMC that has run; got {mcmc!r}")
        model = mcmc.sampler.model if model is None else model
        _check_model(model)
        _return_freed_memory()  # what compiling the MCMC run freed
        x_arr, y_arr = as_data("x", x), as_data("y", y)
        samples = _to_numpy(mcmc.get_samples(group_by_chain=True))
        stats = {"diverging": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])}
        bound = _call_with_priors(model)
        loglik = _log_likelihood(bound, samples, x_arr, y_arr, priors, batch_ndims=2, parallel=True)
        return cls(
            samples=samples,
            sample_stats=stats,
            log_likelihood=_to_numpy(loglik),
            observed_data={"y": y_arr},
            data={"x": x_arr, "y": y_arr},
            hyperparameters={"priors": priors},
            model=_regression_model(model),
            seed=int(seed),
            latent_sites=tuple(sorted(samples)),
            observed_arguments={"y": "y"},
            dims=dict(_REGRESSION_DIMS),
        )

    @functools.cached_property
    def idata(self) -> az.InferenceData:
        """The fit as ``arviz.InferenceData``.

        Groups: ``posterior``, ``sample_stats``, ``log_likelihood`` (one
        variable per observed site), ``posterior_predictive`` (the observed
        sites replicated at the fitted data, by :func:`sample_posterior_predictive`),
        ``observed_data`` and ``constant_data`` (the other data arguments).
        """
        replicated = sample_posterior_predictive(self, seed=self.seed)
        shape = next(iter(self.samples.values())).shape[:2]
        observed_arguments = set(self.observed_arguments.values())
        return az.from_dict(
            posterior=self.samples,
            sample_stats=self.sample_stats,
            log_likelihood=self.log_likelihood,
            posterior_predictive={
                name: v.reshape(shape + v.shape[1:])
                for name, v in replicated.items()
                if name in self.observed_data
            },
            observed_data=self.observed_data,
            constant_data={
                k: np.asarray(v)
                for k, v in self.data.items()
                if v is not None and k not in observed_arguments
            },
            dims=self.dims,
        )

    def summary(self, var_names: list[str] | None = None, *, round_to: int | None = None):
        """ArviZ's summary table: mean, sd, 94% HDI, MCSE, bulk/tail ESS, R-hat.

        Parameters
        ----------
        var_names : list of str, optional
            Which parameters; all latent sites by default.
        round_to : int, optional
            Decimals to round to; full precision by default (ArviZ's own default
            of 2 would turn a Monte Carlo error of 0.001 into 0).

        Returns
        -------
        pandas.DataFrame
            One row per parameter.
        """
        return az.summary(
            self.idata,
            var_names=var_names or list(self.latent_sites),
            hdi_prob=HDI_PROB,
            round_to="none" if round_to is None else round_to,
        )

    @functools.cached_property
    def diagnostics(self) -> Diagnostics:
        """Divergences (in all and per chain), worst R-hat and bulk ESS, and a verdict in words."""
        return _diagnose(self.idata, list(self.latent_sites))

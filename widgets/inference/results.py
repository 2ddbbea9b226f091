"""The result of a fit: ``Fit``, its draws, and their ArviZ conversion and summary."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np
from numpyro.infer import log_likelihood as _log_likelihood

from widgets.inference._arviz import az
from widgets.inference.checks import _check_model, as_data
from widgets.inference.compiled import _return_freed_memory, _to_numpy
from widgets.inference.diagnostics import Diagnostics, _diagnose
from widgets.inference.models import _call_with_priors
from widgets.inference.predictive import posterior_predictive
from widgets.inference.priors import TUTORIAL_PRIORS, Priors

HDI_PROB = 0.94


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """The result of :func:`fit`: posterior draws and what ArviZ says of them.

    Attributes
    ----------
    samples : dict of str to numpy.ndarray
        Posterior draws, each of shape ``(chains, draws)`` (plus event dims).
    sample_stats : dict of str to numpy.ndarray
        Per-draw sampler statistics (``diverging``, ``lp``, ``energy``,
        ``acceptance_rate``, ``n_steps``, ``step_size``), shape ``(chains, draws)``.
    log_likelihood : dict of str to numpy.ndarray
        Pointwise log-likelihood of each observed site, ``(chains, draws, n)``.
    x, y : numpy.ndarray
        The data that were fitted.
    priors : Priors
        The priors that were used.
    model : callable
        The NumPyro model that was fitted.
    seed : int
        The seed of the run.
    """

    samples: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    log_likelihood: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    priors: Priors
    model: Callable
    seed: int
    latent_sites: tuple[str, ...]

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
            x=x_arr,
            y=y_arr,
            priors=priors,
            model=model,
            seed=int(seed),
            latent_sites=tuple(sorted(samples)),
        )

    @functools.cached_property
    def idata(self) -> az.InferenceData:
        """The fit as ``arviz.InferenceData``.

        Groups: ``posterior``, ``sample_stats``, ``log_likelihood``,
        ``posterior_predictive`` (at the observed ``x``), ``observed_data`` and
        ``constant_data`` (``x``).
        """
        replicated = posterior_predictive(self, self.x, seed=self.seed)
        shape = next(iter(self.samples.values())).shape[:2]
        dims = {"y": ["obs"], "x": ["obs"]}
        return az.from_dict(
            posterior=self.samples,
            sample_stats=self.sample_stats,
            log_likelihood=self.log_likelihood,
            posterior_predictive={name: v.reshape(shape + v.shape[1:]) for name, v in replicated.items()},
            observed_data={"y": self.y},
            constant_data={"x": self.x},
            dims=dims,
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
        """Divergences, worst R-hat and bulk ESS, and a verdict in words."""
        return _diagnose(self.idata, list(self.latent_sites))

"""Model comparison with PSIS-LOO: each fit's LOO, the comparison table and the Pareto k threshold, by ArviZ.

Every number here is ArviZ's: :func:`loo` is ``az.loo(..., pointwise=True)``
on a fit's pointwise log-likelihood, :func:`compare` is ``az.compare``
(stacking weights). Nothing is re-derived by hand.

ArviZ computes the threshold above which a point's Pareto k makes its
importance-sampling estimate unreliable, ``good_k = min(1 - 1/log10(S), 0.7)``
for S posterior draws (0.67 at 1,000 draws, 0.7 from about 2,150), and
returns it with the LOO: :func:`high_k_points` compares with it, not with a
fixed 0.7.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from widgets.inference._arviz import az
from widgets.inference.outliers import MASK
from widgets.inference.results import Fit

# The columns of comparison_table, in order.
TABLE_COLUMNS = ("elpd_loo", "se", "p_loo", "elpd_diff", "dse", "weight", "warning")

# az.loo warns (UserWarning) when a Pareto k passes good_k; the LOO it returns says so
# too (its `warning` flag and `pareto_k`), which is what callers here read.
# Pandas4Warning is new in pandas 3.1 (a DeprecationWarning); older pandas does not warn here.
_PANDAS4_WARNING = getattr(pd.errors, "Pandas4Warning", DeprecationWarning)
_HIGH_K_WARNING = "Estimated shape parameter of Pareto distribution is greater than"


def _observed_site(fit: Fit, var_name: str | None) -> str:
    sites = sorted(fit.log_likelihood)
    if var_name is None:
        if len(sites) != 1:
            raise ValueError(f"this fit observes {sites}; name the one to score with var_name=")
        return sites[0]
    if var_name not in fit.log_likelihood:
        raise ValueError(f"var_name must be one of this fit's observed sites {sites}; got {var_name!r}")
    return var_name


def _pointwise_data(fit: Fit, var_name: str | None) -> az.InferenceData:
    """One site's log-likelihood at the fit's points, as InferenceData: all ``az.loo`` reads given `reff`.

    A fit of a padded model (a ``mask`` data argument, see
    :mod:`widgets.inference.outliers`) keeps the masked-in entries.
    """
    name = _observed_site(fit, var_name)
    log_likelihood = fit.log_likelihood[name]
    mask = fit.data.get(MASK)
    if mask is not None:
        log_likelihood = log_likelihood[..., np.asarray(mask, bool)]
    return az.from_dict(log_likelihood={name: log_likelihood})


def _relative_efficiency(samples: Mapping[str, np.ndarray]) -> float:
    """The relative efficiency ``az.loo`` computes from a posterior when not given one, number for number.

    ArviZ 0.23 takes the mean-ESS (``az.ess(posterior, method="mean")``) of
    every entry of every posterior variable, averages them all and divides
    by the number of draws; one chain counts as 1. Here the same ESS
    function runs on each entry's (chain, draw) array, so no posterior
    InferenceData is built for it.
    """
    arrays = [np.asarray(value) for value in samples.values()]
    num_chains, num_draws = arrays[0].shape[:2]
    if num_chains == 1:
        return 1.0
    entries = [np.moveaxis(value.reshape(num_chains, num_draws, -1), -1, 0) for value in arrays]
    ess = [np.ravel([az.ess(entry, method="mean") for entry in each]) for each in entries]
    return np.hstack(ess).mean() / (num_chains * num_draws)


def loo(fit: Fit, *, var_name: str | None = None) -> az.ELPDData:
    """PSIS-LOO of a fit: ``az.loo(..., pointwise=True)`` on its pointwise log-likelihood.

    Parameters
    ----------
    fit : Fit
        A fit of :func:`~widgets.inference.fit_model` or :func:`~widgets.inference.fit`.
        A fit of a padded model is scored on its masked-in points only.
    var_name : str, optional
        The observed site to score; needed only when the model has several.

    Returns
    -------
    arviz.ELPDData
        ArviZ's LOO: ``elpd_loo``, ``se``, ``p_loo``, ``loo_i``, ``pareto_k``,
        ``good_k``, ``n_samples``, ``n_data_points`` and ``warning`` (True
        when a Pareto k passes ``good_k``; ArviZ's own UserWarning saying so is not
        repeated on stderr).

    Raises
    ------
    ValueError
        If `var_name` is not one of the fit's observed sites (or is needed and missing).
    """
    if not isinstance(fit, Fit):
        raise ValueError(f"fit must be a Fit from fit_model or fit; got {type(fit).__name__}")
    data = _pointwise_data(fit, var_name)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _HIGH_K_WARNING, UserWarning)
        return az.loo(data, pointwise=True, reff=_relative_efficiency(fit.samples))


def high_k_points(elpd: az.ELPDData) -> np.ndarray:
    """The indices of the points whose Pareto k is above ArviZ's ``good_k`` for this many draws.

    Parameters
    ----------
    elpd : arviz.ELPDData
        A pointwise LOO, from :func:`loo` or ``az.loo(..., pointwise=True)``.

    Returns
    -------
    numpy.ndarray of int
        Sorted indices into the scored points.
    """
    if "pareto_k" not in elpd:
        raise ValueError("elpd must be a pointwise LOO (az.loo(..., pointwise=True)), with pareto_k")
    return np.flatnonzero(np.asarray(elpd["pareto_k"]) > float(elpd["good_k"]))


def _as_loo(name: str, value) -> az.ELPDData:
    if isinstance(value, Fit):
        return loo(value)
    if isinstance(value, az.ELPDData) and "loo_i" in value:
        return value
    raise ValueError(
        f"model {name!r}: expected a Fit or a pointwise LOO (az.ELPDData); got {type(value).__name__}"
    )


def compare(models: Mapping[str, Fit | az.ELPDData]) -> pd.DataFrame:
    """ArviZ's comparison of models by their PSIS-LOO: ``az.compare``, with stacking weights.

    Parameters
    ----------
    models : dict of str to Fit or arviz.ELPDData
        At least two models by name: fits (scored with :func:`loo`) or their
        pointwise LOOs, all of the same data points.

    Returns
    -------
    pandas.DataFrame
        ``az.compare``'s table, best model first: ``rank``, ``elpd_loo``,
        ``p_loo``, ``elpd_diff`` (from the best), ``weight``, ``se``, ``dse``
        (the standard error of ``elpd_diff``), ``warning``, ``scale``.

    Raises
    ------
    ValueError
        For fewer than two models, or models scored on different numbers of points.
    """
    if not isinstance(models, Mapping) or len(models) < 2:
        raise ValueError(f"models must be a dict of at least two models by name; got {models!r}")
    scores = {str(name): _as_loo(str(name), value) for name, value in models.items()}
    points = {name: int(score["n_data_points"]) for name, score in scores.items()}
    if len(set(points.values())) > 1:
        raise ValueError(f"the models must be scored on the same data points; got {points} points")
    with warnings.catch_warnings():
        # arviz 0.23's compare sorts with sort_values(inplace=True), which pandas 3.1
        # deprecates with a Pandas4Warning: nothing is wrong with the table. Silenced
        # here so that it neither fails tests (warnings are errors) nor shows in lessons.
        warnings.filterwarnings("ignore", "The inplace keyword", _PANDAS4_WARNING)
        return az.compare(scores, ic="loo", method="stacking", scale="log")


def comparison_table(models: Mapping[str, Fit | az.ELPDData]) -> pd.DataFrame:
    """The comparison a panel shows: :func:`compare`'s table, best first, in :data:`TABLE_COLUMNS`.

    Parameters
    ----------
    models : dict of str to Fit or arviz.ELPDData
        As for :func:`compare`.

    Returns
    -------
    pandas.DataFrame
        One row per model, best first; columns ``elpd_loo``, ``se``, ``p_loo``,
        ``elpd_diff``, ``dse``, ``weight``, ``warning``.
    """
    return compare(models).loc[:, list(TABLE_COLUMNS)]

"""The kit's inference package: the one boundary that runs NumPyro inference and builds ArviZ data.

Everything that runs NumPyro inference (``MCMC``, ``NUTS``, ``Predictive``) or
builds ArviZ data lives in this package, so the panels stay thin views and a
later move to ArviZ 1.x touches one place. One job per module:

- :mod:`~widgets.inference.checks`: input checks at the boundary (``as_data``,
  counts, seeds, ``describe_constraint``).
- :mod:`~widgets.inference.priors`: ``Priors`` (a JAX pytree), their checks,
  ``TUTORIAL_PRIORS``.
- :mod:`~widgets.inference.models`: ``linear_regression``, ``student_t_regression``,
  ``eight_schools`` (centered and non-centered) with ``EIGHT_SCHOOLS``, and how
  a model is called.
- :mod:`~widgets.inference.compiled`: the compiled-program caches, memory
  handed back after compiling, results to the host.
- :mod:`~widgets.inference.predictive`: ``simulate``, ``prior_predictive``,
  ``posterior_predictive``, and ``sample_posterior_predictive`` for any model.
- :mod:`~widgets.inference.exact`: ``exact_posterior_moments``, the lessons'
  answer key.
- :mod:`~widgets.inference.summaries`: what panels draw: ``prior_densities``,
  ``predictive_bands``, ``spread_draws``, ``summary_statistic``, ``predictive_pvalue``.
- :mod:`~widgets.inference.adaptation`: NUTS warmup adaptation on a traced
  schedule (``MAX_NUM_WARMUP``).
- :mod:`~widgets.inference.sampler`: the chunked NUTS engine, its chain layout
  over devices and its cache of samplers (``MAX_NUM_SAMPLES``, ``CHAIN_METHODS``).
- :mod:`~widgets.inference.results`: ``Fit``, its ArviZ conversion and summary.
- :mod:`~widgets.inference.diagnostics`: ``Diagnostics`` (divergences, R-hat, ESS).
- :mod:`~widgets.inference.fitting`: ``fit_model`` for any model, ``fit`` for
  the regression, and whether each would compile (``fit_model_needs_compiling``,
  ``fit_needs_compiling``).
- :mod:`~widgets.inference.batched`: ``fit_many``, many data sets fitted at once
  in one compiled program (``BatchedFit``: draws, divergences, R-hat and ESS per
  fit, ranks for simulation-based calibration).
- :mod:`~widgets.inference.sbc`: simulation-based calibration (``run_sbc``,
  ``SBCResult``): a simulator apart from the model, ``fit_many`` in chunks that
  share one compiled program, ranks, ArviZ's simultaneous ECDF band, a verdict.
- :mod:`~widgets.inference.outliers`: ``data_with_outliers``, and the two
  regressions padded to ``CAPACITY`` points with a mask (``padded``), so that a
  point added or removed re-fits without compiling.
- :mod:`~widgets.inference.comparison`: ``loo``, ``compare`` and
  ``comparison_table`` through ArviZ, ``high_k_points`` against ArviZ's ``good_k``.
- :mod:`~widgets.inference.trajectory`: one NUTS transition of a fit replayed
  leapfrog step by step with NumPyro's own tree builder (``record_trajectory``,
  ``Trajectory``), on the unconstrained coordinates NUTS moves in.

The running example is scalar linear regression, ``y = a*x + b + noise``, with
the priors ``a ~ Normal(0, 2)``, ``b ~ Normal(0, 2)``, ``sigma ~ HalfNormal(1)``.

Every public function is pure: arrays in, NumPy arrays or ``InferenceData`` out;
options after the data are keyword-only. Each one is compiled by JAX once per
model, array shape and prior family; data, parameters and prior
hyperparameters enter the compiled code as ``float32`` array arguments, and a
fit's run length (``num_warmup``, ``num_samples``) as integer arguments, so a
new value never recompiles.

:func:`fit_model` and :func:`sample_posterior_predictive` take any NumPyro
model with continuous latent sites, called with named arguments as
``model(**data, **hyperparameters)``; integer sizes in the data (such as the
eight schools' ``J``) are compiled in. The regression functions (``fit``,
``fit_needs_compiling``, ``posterior_predictive``, ``prior_predictive``,
``simulate``) are thin wrappers for a model called as ``model(x, y=None)``, or
as ``model(x, y=None, priors=...)`` if it has a ``priors`` parameter, with its
observed site named ``"y"``.
"""

from widgets.inference.adaptation import MAX_NUM_WARMUP
from widgets.inference.batched import BatchedFit, fit_many
from widgets.inference.checks import as_data, describe_constraint
from widgets.inference.comparison import compare, comparison_table, high_k_points, loo
from widgets.inference.diagnostics import ESS_MIN, RHAT_MAX, Diagnostics
from widgets.inference.exact import exact_posterior_moments
from widgets.inference.fitting import fit, fit_model, fit_model_needs_compiling, fit_needs_compiling
from widgets.inference.models import (
    EIGHT_SCHOOLS,
    NU_PRIOR,
    eight_schools,
    eight_schools_noncentered,
    linear_regression,
    student_t_regression,
)
from widgets.inference.outliers import (
    CAPACITY,
    data_with_outliers,
    padded,
    padded_linear_regression,
    padded_student_t_regression,
)
from widgets.inference.predictive import (
    posterior_predictive,
    prior_predictive,
    sample_posterior_predictive,
    simulate,
)
from widgets.inference.priors import TUTORIAL_PRIORS, Priors
from widgets.inference.results import HDI_PROB, Fit
from widgets.inference.sampler import CHAIN_METHODS, MAX_NUM_SAMPLES, PROGRESS_CHUNKS, PROGRESS_PER_SECOND
from widgets.inference.trajectory import (
    MAX_TREE_DEPTH,
    Trajectory,
    record_trajectory,
    start_near,
    unconstrained_coordinates,
    unconstrained_draws,
)
from widgets.inference.sbc import SBCResult, run_sbc, simulate_from_prior
from widgets.inference.summaries import (
    BAND_PERCENTILES,
    TEST_STATISTICS,
    predictive_bands,
    predictive_pvalue,
    prior_densities,
    spread_draws,
    summary_statistic,
)

__all__ = [
    "BAND_PERCENTILES",
    "CAPACITY",
    "CHAIN_METHODS",
    "EIGHT_SCHOOLS",
    "ESS_MIN",
    "HDI_PROB",
    "MAX_NUM_SAMPLES",
    "MAX_NUM_WARMUP",
    "MAX_TREE_DEPTH",
    "NU_PRIOR",
    "PROGRESS_CHUNKS",
    "PROGRESS_PER_SECOND",
    "RHAT_MAX",
    "TEST_STATISTICS",
    "TUTORIAL_PRIORS",
    "BatchedFit",
    "Diagnostics",
    "Fit",
    "Priors",
    "SBCResult",
    "Trajectory",
    "as_data",
    "compare",
    "comparison_table",
    "data_with_outliers",
    "describe_constraint",
    "eight_schools",
    "eight_schools_noncentered",
    "exact_posterior_moments",
    "fit",
    "fit_many",
    "fit_model",
    "fit_model_needs_compiling",
    "fit_needs_compiling",
    "high_k_points",
    "linear_regression",
    "loo",
    "padded",
    "padded_linear_regression",
    "padded_student_t_regression",
    "posterior_predictive",
    "predictive_bands",
    "predictive_pvalue",
    "prior_densities",
    "prior_predictive",
    "record_trajectory",
    "run_sbc",
    "sample_posterior_predictive",
    "simulate",
    "simulate_from_prior",
    "start_near",
    "student_t_regression",
    "spread_draws",
    "summary_statistic",
    "unconstrained_coordinates",
    "unconstrained_draws",
]

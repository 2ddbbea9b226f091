"""Batched fits (``fit_many``) against a Python loop of single fits, measured in the same run.

Time per fit, as simulation-based calibration spends it: the regression at
n = 20 (the kit's ``fit`` in a loop, its sampler compiled before timing) and
the eight schools, non-centered (one NumPyro ``MCMC`` re-run on new data with
``jit_model_args=True``: its chains are pmapped over the host devices through a
fresh partial each run, so each re-run still compiles one program, as a loop
of MCMC runs does). Both sides run 4 chains x (500 warmup + 1000
draws) per fit; warm calls only, compiling timed apart.

Run alone: ``python -c "import numpyro; numpyro.set_host_device_count(4);
from benchmarks import batched; batched.main()"``.
"""

from __future__ import annotations

import time

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS

from benchmarks.timing import Row, median_seconds, print_table
from widgets import inference
from widgets.inference.batched import fit_many

EIGHT_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
RUN = {"num_warmup": 500, "num_samples": 1000, "num_chains": 4}


def eight_schools(sigma, y=None):
    """The eight schools, non-centered: theta = mu + tau * eta."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("school", sigma.shape[-1]):
        eta = numpyro.sample("eta", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * eta)
        numpyro.sample("obs", dist.Normal(theta, sigma), obs=y)


def regressions(num_fits: int, seed: int, n: int = 20) -> dict[str, np.ndarray]:
    """Regressions simulated from the tutorial's priors."""
    rng = np.random.default_rng(seed)
    a, b, sigma = rng.normal(0.0, 2.0, (3, num_fits, 1))
    x = rng.uniform(-2.0, 2.0, (num_fits, n))
    return {"x": x, "y": a * x + b + np.abs(sigma) * rng.normal(size=(num_fits, n))}


def schools(num_fits: int, seed: int) -> dict[str, np.ndarray]:
    """Eight schools data simulated from the model's prior."""
    rng = np.random.default_rng(seed)
    mu, tau = rng.normal(0.0, 5.0, (num_fits, 1)), np.abs(5.0 * rng.standard_cauchy((num_fits, 1)))
    y = rng.normal(rng.normal(mu, tau, (num_fits, 8)), EIGHT_SIGMA)
    return {"sigma": np.broadcast_to(EIGHT_SIGMA, (num_fits, 8)), "y": y}


def _batched_rows(label, model, simulate, num_fits, repeat) -> tuple[float, list[Row]]:
    """Seconds per fit of warm fit_many calls on new batches; rows for compiling and diagnostics."""
    start = time.perf_counter()
    fit_many(model, simulate(num_fits, seed=0), **RUN)
    first = time.perf_counter() - start
    batches = [simulate(num_fits, seed=1 + i) for i in range(repeat)]
    results = []
    seconds = median_seconds(lambda i: results.append(fit_many(model, batches[i], seed=i, **RUN)), repeat)
    diagnose = median_seconds(lambda i: results[i].diagnostics, repeat)
    return seconds / num_fits, [
        Row(f"  {label}: first fit_many call ({num_fits} fits, compiling included)", first),
        Row(f"  {label}: per-fit R-hat and bulk ESS by ArviZ, whole batch", diagnose),
    ]


def regression(quick: bool) -> list[Row]:
    num_fits, repeat, loop = (100, 3, 10) if quick else (200, 5, 30)
    batched, extra = _batched_rows("regression", inference.linear_regression, regressions, num_fits, repeat)
    data = regressions(loop + 1, seed=99)
    inference.fit(data["x"][0], data["y"][0], **RUN)  # compiles; not timed
    single = median_seconds(lambda i: inference.fit(data["x"][i + 1], data["y"][i + 1], seed=i, **RUN), loop)
    return _rows("regression, n = 20", num_fits, batched, single, "the kit's fit") + extra


def eight_schools_rows(quick: bool) -> list[Row]:
    num_fits, repeat, loop = (50, 3, 5) if quick else (100, 5, 15)
    batched, extra = _batched_rows("eight schools", eight_schools, schools, num_fits, repeat)
    data = schools(loop + 1, seed=99)
    # jit_model_args: re-runs reuse the compiled sample function (one pmap compile per run remains).
    mcmc = MCMC(NUTS(eight_schools), **RUN, progress_bar=False, jit_model_args=True)
    mcmc.run(jax.random.PRNGKey(0), sigma=data["sigma"][0], y=data["y"][0])  # compiles; not timed

    def rerun(i):
        mcmc.run(jax.random.PRNGKey(i + 1), sigma=data["sigma"][i + 1], y=data["y"][i + 1])
        jax.block_until_ready(mcmc.get_samples())

    single = median_seconds(rerun, loop)
    return _rows("eight schools, non-centered", num_fits, batched, single, "NumPyro MCMC re-run") + extra


def _rows(label, num_fits, batched, single, baseline) -> list[Row]:
    return [
        Row(
            f"{label}: seconds per fit, fit_many of {num_fits} vs a loop of {baseline}",
            batched,
            tutorial=single,
        ),
        Row(f"  {label}: fits per second, fit_many", 1.0 / batched, unit="fits/s"),
        Row(f"  {label}: fits per second, loop of {baseline}", 1.0 / single, unit="fits/s"),
    ]


def run(quick: bool) -> list[Row]:
    """Every row of the batched-fits section."""
    return [*regression(quick), *eight_schools_rows(quick)]


def main(quick: bool = False) -> None:
    """Print this section's table (call after ``numpyro.set_host_device_count(4)``)."""
    print_table("Batched fits (fit_many) against a loop of single fits", run(quick))

"""Simulation-based calibration through the kit against a loop of fresh NumPyro MCMC runs, in one run.

The kit: :func:`widgets.inference.sbc.run_sbc` on the regression (n = 20, 1
chain, 500 warmup, 1,000 iterations thinned to 100 kept draws), 200
simulations, with the ranks and what the panel draws (rank histogram and ECDF
difference with its band, per parameter); the first run in a fresh process
with JAX's caches off (compiling included), then warm runs. The eight
schools, non-centered, 100 simulations, first run. The peer is SBC the way
``simuk`` 0.2.0 runs it: a fresh ``MCMC`` per simulation (one chain; it
compiles again each time), timed per simulation over a few and scaled to 200.
``simuk`` itself is not installed (0.3.0 needs Python 3.12; 0.2.0 would need
its own environment): the loop is what it does. Process CPU time is printed
beside wall time: on a shared machine it moves less with other work. The
per-fit R-hat and bulk ESS of 200 fits of three parameters (one chain of 100
draws split in two, as ``run_sbc`` takes them), batched
(:func:`widgets.inference.diagnostics.rhat_rank` and ``ess_bulk``) against
ArviZ's ``az.rhat`` and ``az.ess`` on a Dataset with a ``fit`` dimension, which
call their one-slice function per fit and parameter: the same numbers.

Usage: ``python -m benchmarks.sbc [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpyro

numpyro.set_host_device_count(4)
os.environ["WIDGETS_COMPILATION_CACHE"] = "off"

import jax  # noqa: E402
import numpy as np  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

from benchmarks.timing import Row, in_fresh_process, print_table  # noqa: E402

NUM_SIMULATIONS = 200
_SETUP = """
import json, time
import numpyro
numpyro.set_host_device_count(4)
import numpy as np
from widgets.inference import EIGHT_SCHOOLS, eight_schools_noncentered, linear_regression
from widgets.inference.sbc import run_sbc

def simulate_regression(rng, x):
    a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}

def simulate_schools(rng, J, sigma):
    mu, tau = rng.normal(0.0, 5.0), abs(5.0 * rng.standard_cauchy())
    theta = rng.normal(mu, tau, J)
    return {"mu": mu, "tau": tau, "theta": theta, "y": rng.normal(theta, sigma)}

def with_plots(result):
    for name in result.parameters:
        result.rank_histogram(name)
        result.ecdf_difference(name)
    return result.verdict
"""
_REGRESSION = (
    _SETUP
    + """
start, cpu = time.perf_counter(), time.process_time()
with_plots(run_sbc(linear_regression, simulate_regression, {"x": np.linspace(-2, 2, 20)},
                   num_simulations=200, seed=0))
first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
warm, warm_cpu = [], []
for seed in range(1, 1 + REPEAT):
    start, cpu = time.perf_counter(), time.process_time()
    with_plots(run_sbc(linear_regression, simulate_regression, {"x": np.linspace(-2, 2, 20)},
                       num_simulations=200, seed=seed))
    warm.append(time.perf_counter() - start)
    warm_cpu.append(time.process_time() - cpu)
print(json.dumps({"first": first, "warm": warm, "first_cpu": first_cpu, "warm_cpu": warm_cpu}))
"""
)
_SCHOOLS = (
    _SETUP
    + """
start, cpu = time.perf_counter(), time.process_time()
with_plots(run_sbc(eight_schools_noncentered, simulate_schools, {"J": 8, "sigma": EIGHT_SCHOOLS["sigma"]},
                   num_simulations=100, seed=0))
print(json.dumps({"first": time.perf_counter() - start, "first_cpu": time.process_time() - cpu}))
"""
)


def _fresh_mcmc_seconds(count: int) -> list[float]:
    """Seconds of each of `count` simulations fitted the way simuk 0.2.0 does: a fresh MCMC each."""
    from widgets.inference import linear_regression

    x = np.linspace(-2.0, 2.0, 20)
    times = []
    for i in range(count):
        rng = np.random.default_rng([0, i])
        a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
        y = rng.normal(a * x + b, sigma)
        start = time.perf_counter()
        mcmc = MCMC(
            NUTS(linear_regression),
            num_warmup=500,
            num_samples=1000,
            thinning=10,
            num_chains=1,
            progress_bar=False,
        )
        mcmc.run(jax.random.PRNGKey(i), x=x, y=y)
        draws = mcmc.get_samples()
        _ = {k: int((np.asarray(draws[k]) < v).sum()) for k, v in {"a": a, "b": b, "sigma": sigma}.items()}
        times.append(time.perf_counter() - start)
    return times


def _diagnostics_seconds(repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of the per-fit R-hat and bulk ESS of 200 fits x 3 parameters: batched, and ArviZ per fit."""
    import warnings

    from widgets.inference._arviz import az
    from widgets.inference.diagnostics import ess_bulk, rhat_rank

    # AR(1) draws, autocorrelation about that of thinned NUTS draws, shaped (fit, chain, draw).
    rng = np.random.default_rng(0)
    draws = np.zeros((NUM_SIMULATIONS * 3, 2, 50))
    for i in range(1, 50):
        draws[..., i] = 0.2 * draws[..., i - 1] + rng.normal(size=draws.shape[:2])
    dataset = az.convert_to_dataset(
        {name: np.moveaxis(draws[k::3].astype(np.float32), 0, 2) for k, name in enumerate("abs")},
        group="posterior",
    )
    batched, per_fit = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        rhat_rank(draws.astype(np.float32))
        ess_bulk(draws.astype(np.float32))
        batched.append(time.perf_counter() - start)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            az.rhat(dataset)
            az.ess(dataset, method="bulk")
        per_fit.append(time.perf_counter() - start)
    return batched, per_fit


def run(quick: bool = False) -> list[Row]:
    """The rows: the kit's SBC with and without compiling, the eight schools, against a loop of MCMC runs."""
    repeat = 2 if quick else 5
    env = {"WIDGETS_COMPILATION_CACHE": "off"}
    regression = in_fresh_process(_REGRESSION.replace("REPEAT", str(repeat)), 1, env)[0]
    schools = in_fresh_process(_SCHOOLS, 1, env)[0]
    per_simulation = statistics.median(_fresh_mcmc_seconds(3 if quick else 10))
    batched, per_fit = _diagnostics_seconds(3 if quick else 7)
    loop = per_simulation * NUM_SIMULATIONS
    warm = statistics.median(regression["warm"])
    first = regression["first"]
    return [
        Row(
            "SBC regression, 200 sims, first run (compiling)",
            first,
            tutorial=loop,
            target="<= 5 s",
            met=first <= 5.0,
        ),
        Row(
            "SBC regression, 200 sims, warm (median)",
            warm,
            tutorial=loop,
            target=">= 50x a loop of fresh MCMC; <= 2 s",
            met=warm <= 2.0 and loop / warm >= 50,
        ),
        Row(
            "SBC eight schools (non-centered), 100 sims, first run",
            schools["first"],
            target="<= 10 s",
            met=schools["first"] <= 10.0,
        ),
        Row("one fresh MCMC per simulation (simuk's way), per sim", per_simulation),
        Row(
            "per-fit R-hat and bulk ESS, 200 fits x 3 (vs az.rhat/az.ess per fit)",
            statistics.median(batched),
            tutorial=statistics.median(per_fit),
        ),
        # Process CPU time (every thread: XLA compiles and runs on several): less
        # swayed than wall time by other work on a shared machine, and what the
        # first run spends compiling is about its excess over a warm run.
        Row("SBC regression, first run, CPU time", regression["first_cpu"]),
        Row("SBC regression, warm, CPU time (median)", statistics.median(regression["warm_cpu"])),
        Row("SBC regression, compiling (first run minus warm, wall)", first - warm),
        Row("SBC eight schools, first run, CPU time", schools["first_cpu"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sbc", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print(f"# SBC benchmark on {os.cpu_count()} cores; the peer is timed in the same run")
    print_table(
        "Simulation-based calibration (tutorial's way: a loop of fresh MCMC, 200 sims)", run(args.quick)
    )


if __name__ == "__main__":
    main()

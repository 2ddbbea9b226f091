"""Bad input raises ValueError naming the argument and what is allowed."""

import os
import subprocess
import sys

import numpy as np
import pytest

from widgets.inference import Priors, fit, posterior_predictive, prior_predictive, simulate

X = np.linspace(-2.0, 2.0, 10)
Y = 1.5 * X - 0.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"y": Y[:-1]}, r"x and y must have the same length; got len\(x\)=10 and len\(y\)=9"),
        ({"x": np.array([])}, "x is empty"),
        ({"x": np.array([]), "y": np.array([])}, "x is empty"),
        ({"y": np.where(np.arange(10) == 3, np.nan, Y)}, "y must be finite; got nan at index 3"),
        ({"x": np.where(np.arange(10) == 0, np.inf, X)}, "x must be finite; got inf at index 0"),
        ({"x": ["a"] * 10}, "x must be an array of numbers"),
        ({"y": np.ones((10, 2))}, r"y must be a 1-D array of numbers; got an array of shape \(10, 2\)"),
        ({"y": [True] * 10}, "y must be an array of numbers; got values of type bool"),
        ({"x": [1, [2, 3]]}, "x must be an array of numbers"),
        ({"num_chains": 0}, "num_chains must be an integer >= 1; got 0"),
        ({"num_samples": 0}, r"num_samples must be an integer in \[1, 10000\] \(the run lengths .*; got 0"),
        ({"num_samples": 10.5}, r"num_samples must be an integer in \[1, 10000\].*; got 10.5"),
        ({"num_samples": 10_001}, r"num_samples must be an integer in \[1, 10000\].*; got 10001"),
        ({"num_warmup": -1}, r"num_warmup must be an integer in \[0, 10000\] \(the run lengths .*; got -1"),
        ({"num_warmup": 10_001}, r"num_warmup must be an integer in \[0, 10000\].*; got 10001"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*32\); got -1"),
        ({"seed": "zero"}, r"seed must be an integer in \[0, 2\*\*32\)"),
        ({"priors": {"a": 1}}, "priors must be a widgets.inference.Priors"),
        ({"progress": 3}, "progress must be a function"),
        ({"chain_method": "threads"}, "chain_method must be one of"),
        ({"target_accept_prob": 1.0}, r"target_accept_prob must be in \(0, 1\)"),
        ({"model": "linear"}, "model must be a NumPyro model"),
    ],
)
def test_fit_rejects_bad_input(kwargs, message):
    """Does fit refuse each bad argument with a message naming it, before any sampling?"""
    arguments = {"x": X, "y": Y, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(**arguments)


@pytest.mark.parametrize(
    "args, message",
    [
        ((X, 1.0, 0.0, 0.0), "sigma must be > 0; got 0.0"),
        ((X, 1.0, 0.0, -1.0), "sigma must be > 0; got -1.0"),
        ((X, np.nan, 0.0, 1.0), "a must be a finite number; got nan"),
        ((X, 1.0, np.inf, 1.0), "b must be a finite number; got inf"),
        ((X, [1.0, 2.0], 0.0, 1.0), r"a must be a single number; got shape \(2,\)"),
        ((X, "1", 0.0, 1.0), "a must be an array of numbers"),
        ((np.array([]), 1.0, 0.0, 1.0), "x is empty"),
    ],
)
def test_simulate_rejects_bad_input(args, message):
    """Does simulate refuse bad parameters and data with a clear message?"""
    with pytest.raises(ValueError, match=message):
        simulate(*args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_samples": 0}, "num_samples must be an integer >= 1; got 0"),
        ({"x": [np.nan]}, "x must be finite"),
        ({"priors": None}, "priors must be a widgets.inference.Priors"),
    ],
)
def test_prior_predictive_rejects_bad_input(kwargs, message):
    """Does prior_predictive refuse bad arguments with a clear message?"""
    arguments = {"x": X, **kwargs}
    with pytest.raises(ValueError, match=message):
        prior_predictive(**arguments)


def test_posterior_predictive_needs_a_fit():
    """Does posterior_predictive refuse something that is not a Fit?"""
    with pytest.raises(ValueError, match="fit must be the Fit returned by"):
        posterior_predictive({"a": np.zeros(3)}, X)


def test_priors_reject_a_non_distribution():
    """Is Priors(sigma=1.0) refused with the prior's name?"""
    with pytest.raises(ValueError, match="priors.sigma must be a NumPyro distribution"):
        Priors(sigma=1.0)


def test_parallel_chains_need_several_devices():
    """In a process with one device, does chain_method='parallel' say how to get more?"""
    code = (
        "import numpy as np\n"
        "from widgets.inference import fit\n"
        "try:\n"
        "    fit(np.arange(3.0), np.arange(3.0), chain_method='parallel')\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "chain_method='parallel' needs at least 2 devices" in out.stdout, out.stderr
    assert "numpyro.set_host_device_count" in out.stdout

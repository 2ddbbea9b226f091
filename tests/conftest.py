"""Shared fixtures: data sets and a counter of JAX traces and XLA compilations."""

import collections
import os

import numpyro

# JAX's persistent cache would let one test load what another compiled, and the
# counts of compilations below would depend on the order tests ran in. The
# lessons' kernels inherit this too. tests/test_compilation_cache.py turns it on.
os.environ["WIDGETS_COMPILATION_CACHE"] = "off"

# As the tutorial and the lessons do, before anything initializes JAX: the
# default chain method then splits chains over these devices, as in class.
numpyro.set_host_device_count(4)

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from jax._src import dispatch  # noqa: E402

_EVENTS = collections.Counter()


def _count(event, duration_secs, **kwargs):
    _EVENTS[event] += 1


jax.monitoring.register_event_duration_secs_listener(_count)


class CompileCounter:
    """Counts JAX traces and XLA backend compilations since it was made."""

    def __init__(self):
        self._start = dict(_EVENTS)

    def _since(self, event):
        return _EVENTS[event] - self._start.get(event, 0)

    @property
    def compilations(self):
        """XLA backend compilations (with the persistent cache off, as here, every one compiles)."""
        return self._since(dispatch.BACKEND_COMPILE_EVENT)

    @property
    def traces(self):
        """Traces of Python functions into jaxprs."""
        return self._since(dispatch.JAXPR_TRACE_EVENT)


@pytest.fixture
def compile_counter():
    """Return a function that starts a new CompileCounter."""
    return CompileCounter


def make_data(n, *, a=1.5, b=-0.5, sigma=0.3, seed=0):
    """The tutorial's synthetic data: x uniform on [-2, 2], y = a*x + b + noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    return x, a * x + b + sigma * rng.normal(size=n)


@pytest.fixture(scope="session")
def data80():
    return make_data(80)


@pytest.fixture(scope="session")
def data5():
    return make_data(5, seed=1)


def marks_by_label(figure):
    """The marks of a bqplot figure, by their legend label."""
    return {mark.labels[0]: mark for mark in figure.marks if mark.labels}

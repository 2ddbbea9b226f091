"""Fixtures shared by the inference tests."""

import pytest

from widgets.inference import fit


@pytest.fixture(scope="session")
def fitted(data80):
    """The tutorial's fit: 4 chains x 1000 draws on the 80-point data set, seed 0."""
    return fit(*data80, seed=0)

"""Fixtures shared by the inference tests."""

import pytest

from widgets.inference import EIGHT_SCHOOLS, eight_schools, eight_schools_noncentered, fit, fit_model


@pytest.fixture(scope="session")
def fitted(data80):
    """The tutorial's fit: 4 chains x 1000 draws on the 80-point data set, seed 0."""
    return fit(*data80, seed=0)


@pytest.fixture(scope="session")
def schools_centered():
    """The centered eight schools: 4 chains x 1000 draws after 500 of warmup, seed 0, with progress."""
    return fit_model(eight_schools, EIGHT_SCHOOLS, seed=0, progress=lambda fraction: None)


@pytest.fixture(scope="session")
def schools_noncentered():
    """The non-centered eight schools: 4 chains x 1000 draws after 500 of warmup, seed 0, with progress."""
    return fit_model(eight_schools_noncentered, EIGHT_SCHOOLS, seed=0, progress=lambda fraction: None)

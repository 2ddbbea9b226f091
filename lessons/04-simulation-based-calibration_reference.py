"""References of lesson 4, kept from students: never released."""

import numpy as np


def demo_ranks():
    draws = np.random.default_rng(21).normal(size=(40, 100))
    truth = np.random.default_rng(22).normal(size=40)
    return (draws < truth[:, None]).sum(axis=1)


def thin_needed():
    """The smallest thin whose bulk ESS is at least 90% of the kept draws, for the lesson's AR(1) chain."""
    import arviz as az

    rng = np.random.default_rng(8)
    chain = np.zeros(20_000)
    for t in range(1, chain.size):
        chain[t] = 0.8 * chain[t - 1] + rng.normal()
    for thin in range(1, 41):
        kept = chain[::thin]
        if az.ess(kept) >= 0.9 * len(kept):
            return thin
    return 40

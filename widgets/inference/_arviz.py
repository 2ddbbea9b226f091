"""ArviZ, imported once and quietly, for the modules that convert and diagnose fits."""

import logging
import warnings

with warnings.catch_warnings():
    # ArviZ 0.23 announces its 1.0 refactor once a day on import, which would make
    # notebook outputs differ by the date they were run; 1.0 needs Python >= 3.12.
    warnings.filterwarnings("ignore", "\nArviZ is undergoing", FutureWarning)
    import arviz as az

# ArviZ's forest plot asks for a semibold font; with only DejaVu Sans installed
# Matplotlib logs a fallback to bold on stderr each time. Nothing is wrong.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

__all__ = ["az"]

"""Kept for one version: the GCL exporters live in exporters/gcl_pairs.py and gcl_msls.py now."""

from .gcl_msls import MSLS_SPLITS, GclMsls, GclMslsOptions, _city_layout  # noqa: F401
from .gcl_pairs import GclPairs, GclPairsOptions, condensed_index  # noqa: F401

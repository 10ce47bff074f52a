"""Warm start: seed a sweep's searcher with the trials of earlier sweeps, read from the results store.

>>> from raysweep import warm_start
>>> warm_start.from_runs("recsys_mf_tpe_asha")
WarmStart(sources=('recsys_mf_tpe_asha',), results_root=None)

Plain Python: the specs here know nothing of Ray; :func:`collect` reads the store through
:mod:`raysweep.results` only when called.
"""

from raysweep.warm_start._collect import Seeds, collect
from raysweep.warm_start._inside import category_index, in_domain, inside
from raysweep.warm_start._spec import WarmStart, from_runs

__all__ = ["Seeds", "WarmStart", "category_index", "collect", "from_runs", "in_domain", "inside"]

"""The experiment layer: lists of runs (specs), executors that run them, a results store, comparisons.

The model knows nothing of this layer. A run is a function of a small picklable :class:`RunSpec` that
returns tidy tables; executors (in-process, a local process pool, or any ``concurrent.futures.Executor``
such as Dask's ``client.get_executor()``) run lists of specs; a :class:`ResultStore` writes every finished
run atomically so interrupted work resumes where it stopped.
"""

from .compare import Comparison, compare
from .executors import run_specs
from .spec import RunSpec
from .store import ResultStore

__all__ = ["RunSpec", "ResultStore", "run_specs", "compare", "Comparison"]

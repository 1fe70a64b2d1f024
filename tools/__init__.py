"""Developer tools: benchmarks (``python -m tools.bench``). Not installed; what a
user runs (fetching and converting weights included) is in the ``invert``
package."""
import minigrad  # noqa: F401  NOTE: first, before NumPy loads OpenBLAS (minigrad.backend)

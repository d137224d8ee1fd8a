"""Reports: figures drawn from the tidy tables of the experiment layer.

The report layer reads DataFrames only (it imports nothing from the model or the experiments), and draws
with matplotlib's Agg canvas and seaborn, never through pyplot's global state, so figures can be made in
worker processes and tests without a display.
"""

from .figures import counterfactual_plot, equity_plot, forest_plot, trajectory_plot

__all__ = ["forest_plot", "trajectory_plot", "equity_plot", "counterfactual_plot"]

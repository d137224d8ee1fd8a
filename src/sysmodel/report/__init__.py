"""Reports: figures drawn from the tidy tables of the experiment layer.

The report layer reads DataFrames only (it imports nothing from the model or the experiments), and draws
with matplotlib's Agg canvas and seaborn, never through pyplot's global state, so figures can be made in
worker processes and tests without a display. The figures live in :mod:`sysmodel.report.figures`
(imported on use: seaborn and matplotlib take about a second to import); :mod:`sysmodel.report.format`
holds number formatting shared with the command line.
"""

"""Operator tooling for skin-analysis-pipeline: the CLI, the local stack and the provider simulator.

Never shipped to Lambda: the layer package `skin_analysis` must not import anything from here.
"""

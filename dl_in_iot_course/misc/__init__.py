"""Shared tools of the labs: the data set, the model tester, metrics, plots."""

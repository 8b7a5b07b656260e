"""Analyses: functions from a :class:`~forensics.engine.scan.ScanResult` (and DataFrames) to DataFrames
with documented columns. They never run git and never read the disk."""

"""Fleet scans: many repositories on Dask (``dask.distributed``), one task per repository, one row each.

A ``LocalCluster`` on this machine by default, or a running scheduler given by its address
(``tcp://host:8786``): then the workers must reach every repository by the same path as the machine
that submits (a shared filesystem), and must have ``forensics[all,fleet]`` installed.
"""
from forensics.fleet.run import FLEET_COLUMNS, fleet, scan_one

__all__ = ["FLEET_COLUMNS", "fleet", "scan_one"]

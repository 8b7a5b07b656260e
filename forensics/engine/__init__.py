"""The engine: the only code that reads git (read-only), the health rules, settings, the history walk,
judging versions, events and damage chains, the cache, and :func:`forensics.engine.scan.scan`, whose
:class:`~forensics.engine.scan.ScanResult` is the only input of every analysis."""

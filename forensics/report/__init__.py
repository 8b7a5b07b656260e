"""What people see: figures, display tables and CSV writing, notebook parameters, result objects, and
running the papermill report."""

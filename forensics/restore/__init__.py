"""Restoration: applying a restore plan. The only code that writes to a repository."""

"""Prevention: the pre-commit guard, its hook installer and the integrity manifest. Needs only the
standard library and the engine's health rules (no pandas, no notebook stack)."""

"""Use cases: each owns its transaction and calls the domain core."""

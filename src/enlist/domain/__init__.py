"""Entities and rules of Enlist, in plain Python: no HTTP, no SQL."""

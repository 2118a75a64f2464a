"""Dagster code location and the plain-Python platform code it wraps."""

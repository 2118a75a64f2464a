"""Dagster definitions: thin wrappers over the plain functions in `orchestration/`."""

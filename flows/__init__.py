"""Prefect flows (wiring only) and the `newsflow` command line."""

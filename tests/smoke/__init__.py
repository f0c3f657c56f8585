"""Smoke test: `make run` as a newcomer runs it, with no environment."""

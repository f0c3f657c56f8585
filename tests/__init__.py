"""Tests of the whole platform: its real processes, driven over HTTP."""

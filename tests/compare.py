"""Comparison helpers for tests: the package's own (generator.verify), re-exported."""
from generator.verify import mismatches, same

__all__ = ["mismatches", "same"]

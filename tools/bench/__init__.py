"""Benchmarks at clinic scale (`make bench`): not collected by pytest (files are bench_*.py)."""

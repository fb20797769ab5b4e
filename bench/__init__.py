"""The benchmarks of docs/scale.md, run by `make bench` (python -m bench.run); not tests."""

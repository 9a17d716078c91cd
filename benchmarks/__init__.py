"""ember's benchmark suite: ``python -m benchmarks`` times ember and torch side by side."""

"""The benchmarks behind every number README shows: `python -m benchmarks list` says what each writes."""

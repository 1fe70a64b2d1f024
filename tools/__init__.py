"""Developer tools (weight conversion, fetching, figures, benchmarks). Not installed."""

"""Benchmarks: `./run.sh bench` runs them all and rewrites their sections of docs/performance.md."""

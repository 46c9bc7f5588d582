"""Benchmark: the handler against the ideal COPY and a naive pipeline, each in its own worker process."""

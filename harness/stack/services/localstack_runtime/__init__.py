"""LocalStack's PyPI runtime in its own virtual environment, run on the host."""

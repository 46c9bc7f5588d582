"""The deployment zip: resolve wheels for the Lambda runtime, compile, archive, smoke-test, report."""

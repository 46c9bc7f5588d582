"""The processes a backend runs: moto's server, PostgreSQL, LocalStack's host runtime, docker compose."""

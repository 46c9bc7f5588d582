"""The outcome of one S3 record: the SNS message that reports it, and the quarantine that keeps what failed."""

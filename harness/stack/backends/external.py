"""Endpoints and database given by the user (real AWS, a shared database): nothing is started."""

from __future__ import annotations

from harness.stack.backends.base import DEFAULT_REGION, StackBackend, StartedServices, check_database
from harness.stack.errors import StackError
from harness.stack.info import RuntimeState
from harness.stack.provision import ResourceNames, aws_client


class ExternalBackend(StackBackend):
    name = "external"

    def __init__(
        self,
        *,
        database_url: str | None,
        aws_endpoint_url: str | None = None,
        region: str | None = None,
        names: ResourceNames | None = None,
    ) -> None:
        super().__init__(names)
        if not database_url:
            raise StackError("the external backend needs a database URL (--database-url or HARNESS_DATABASE_URL)")
        self.database_url = database_url
        self.aws_endpoint_url = aws_endpoint_url or ""  # empty: real AWS
        self.region = region or DEFAULT_REGION

    def start(self) -> StartedServices:
        # Credentials come from the normal AWS chain (environment, profile, role).
        return StartedServices(
            aws_endpoint_url=self.aws_endpoint_url,
            region=self.region,
            database_url=self.database_url,
            runtime=RuntimeState(dummy_credentials=False),
        )

    def health_check(self, services: StartedServices) -> None:
        try:
            aws_client("sts", services.aws_endpoint_url, services.region, None).get_caller_identity()
        except Exception as exc:
            raise StackError(f"AWS endpoint {services.aws_endpoint_url or '(AWS)'} does not answer: {exc}") from exc
        check_database(services.database_url)

    @classmethod
    def stop(cls, runtime: RuntimeState) -> None:
        """Nothing was started, so nothing is stopped; the provisioned resources are kept."""

"""The interface every backend implements: start, health-check, provision, stop."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import psycopg
from sqlalchemy.engine import make_url

from harness.stack.errors import StackError
from harness.stack.info import DUMMY_CREDENTIALS, RuntimeState, StackInfo, libpq_url
from harness.stack.interrupts import signals_held
from harness.stack.provision import ResourceNames, provision

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class StartedServices:
    """Endpoints of running services, before provisioning."""

    aws_endpoint_url: str
    region: str
    database_url: str
    runtime: RuntimeState


class StackBackend(ABC):
    name: ClassVar[str]

    def __init__(self, names: ResourceNames | None = None) -> None:
        self.names = names or ResourceNames()

    @abstractmethod
    def start(self) -> StartedServices:
        """Start (or locate) the AWS emulator/endpoint and PostgreSQL; no resources yet."""

    @abstractmethod
    def health_check(self, services: StartedServices) -> None:
        """Raise StackError naming the part that does not answer."""

    @classmethod
    @abstractmethod
    def stop(cls, runtime: RuntimeState) -> None:
        """Stop what `start` started and remove its temporary folders. Idempotent."""

    def provision(self, services: StartedServices) -> StackInfo:
        credentials = DUMMY_CREDENTIALS if services.runtime.dummy_credentials else None
        made = provision(services.aws_endpoint_url, services.region, self.names, credentials)
        return StackInfo(
            backend=self.name,
            aws_endpoint_url=services.aws_endpoint_url,
            region=services.region,
            bucket=made.bucket,
            topic_arn=made.topic_arn,
            events_queue_url=made.events_queue_url,
            notifications_queue_url=made.notifications_queue_url,
            database_url=services.database_url,
            runtime=services.runtime,
        )

    def up(self) -> StackInfo:
        """start -> health_check -> provision; anything started is stopped again when a step fails."""
        services: StartedServices | None = None
        try:
            with signals_held():
                services = self.start()
            self.health_check(services)
            return self.provision(services)
        except BaseException:
            if services is not None:
                self.stop(services.runtime)
            raise


def check_database(database_url: str) -> None:
    """Connect with the SQLAlchemy URL the handler will use and run one query."""
    try:
        with psycopg.connect(libpq_url(database_url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        shown = make_url(database_url).render_as_string(hide_password=True)
        raise StackError(f"PostgreSQL at {shown} does not answer: {exc}") from exc

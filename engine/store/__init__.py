"""Persistence: the tables, the database connection and the unit of work."""

from engine.store.db import UnitOfWork, database_url, make_engine
from engine.store.models import (
    ApiKey,
    Attachment,
    Base,
    Clock,
    ConfigVersion,
    Event,
    Extension,
    IdempotentRequest,
    InboundMessage,
    OutboxMessage,
    Rating,
    Reply,
    Report,
    Reporter,
    User,
)

__all__ = [
    "ApiKey",
    "Attachment",
    "Base",
    "Clock",
    "ConfigVersion",
    "Event",
    "Extension",
    "IdempotentRequest",
    "InboundMessage",
    "OutboxMessage",
    "Rating",
    "Reply",
    "Report",
    "Reporter",
    "UnitOfWork",
    "User",
    "database_url",
    "make_engine",
]

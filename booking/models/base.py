"""Declarative base and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Ids are Integer columns: 32-bit signed on PostgreSQL. A larger one names no row, and
# SQLite cannot even look up one beyond 64 bits, so readers of ids refuse them first.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, aware, in UTC (a callable for column defaults)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out.

    SQLite keeps no timezone, so values are stored as naive UTC in one fixed format;
    that also keeps them comparable as text inside SQLite triggers.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def quoted(values) -> str:
    """Constant words as an SQL list: 'booked', 'arrived'."""
    return ", ".join(f"'{value}'" for value in values)


def one_of(column: str, values) -> str:
    """A CHECK that a text column holds one of the constant's values."""
    return f"{column} IN ({quoted(values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

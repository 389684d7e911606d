"""Counters for the limits on what one client, address or patient may do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime


class RateCounter(Base):
    """How many times something keyed (a client address, an email) happened in a window.

    Every worker and every app server shares these rows, so a limit holds however the
    requests are spread. Keys never hold an email or address in the clear.
    """

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    hits: Mapped[int]
    resets_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

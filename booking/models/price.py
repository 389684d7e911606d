"""Every change to a service's price: who, when, old and new."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.models.base import Base, UTCDateTime, utcnow
from booking.models.service import Service
from booking.models.user import User


class PriceChange(Base):
    __tablename__ = "price_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_cents: Mapped[int]
    new_cents: Mapped[int]

    service: Mapped[Service] = relationship()
    user: Mapped[User | None] = relationship()

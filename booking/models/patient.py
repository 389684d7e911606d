"""People who book."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, utcnow


class Patient(Base):
    __tablename__ = "patient"
    __audit_name__ = "patient"
    __audited__ = ("name", "email", "phone", "date_of_birth")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(40))
    # Asked only when a Good Faith Estimate is due (a self-pay patient of a US clinic).
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # Made by an online booking whose details differ from a record on file with the same
    # email: reception looks, then merges the two or says they are different people.
    possible_duplicate: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the details were erased (on request or past the retention period): the row
    # stays, nameless, so the bookings it held still count in the reports.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

"""SQLAlchemy models, one module per aggregate."""

from booking.models.booking import Booking
from booking.models.clinic import ClinicSettings, Disclaimer
from booking.models.patient import Patient
from booking.models.practitioner import Practitioner, TimeOff, WorkingHours
from booking.models.service import Service

__all__ = [
    "Booking",
    "ClinicSettings",
    "Disclaimer",
    "Patient",
    "Practitioner",
    "Service",
    "TimeOff",
    "WorkingHours",
]

"""SQLAlchemy models, one module per aggregate."""

from booking.models.audit import AuditEntry, RecordAccess
from booking.models.booking import Booking
from booking.models.clinic import ClinicSettings, Disclaimer, ScheduleVersion
from booking.models.course import Course, GoodFaithEstimate, PackagePurchase
from booking.models.limits import RateCounter
from booking.models.outbox import OutboxMessage
from booking.models.outcome import CheckIn, CourseDecision, DoctorClearance
from booking.models.patient import Patient
from booking.models.practitioner import Practitioner, TimeOff, WorkingHours
from booking.models.price import PriceChange
from booking.models.service import CoursePlan, Service
from booking.models.user import RecoveryCode, StaffSession, User
from booking.models.waitlist import WaitlistEntry, WaitlistOffer
from booking.models.webhook import WebhookAttempt, WebhookEndpoint

__all__ = [
    "AuditEntry",
    "Booking",
    "CheckIn",
    "ClinicSettings",
    "Course",
    "CourseDecision",
    "CoursePlan",
    "Disclaimer",
    "DoctorClearance",
    "GoodFaithEstimate",
    "OutboxMessage",
    "PackagePurchase",
    "Patient",
    "Practitioner",
    "ScheduleVersion",
    "PriceChange",
    "RateCounter",
    "RecordAccess",
    "RecoveryCode",
    "Service",
    "StaffSession",
    "TimeOff",
    "User",
    "WaitlistEntry",
    "WaitlistOffer",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WorkingHours",
]

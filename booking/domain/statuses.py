"""Booking statuses, in FHIR Appointment.status words: one definition for every layer."""

BOOKED, ARRIVED, FULFILLED, CANCELLED, NOSHOW = (
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
)
STATUSES = (BOOKED, ARRIVED, FULFILLED, CANCELLED, NOSHOW)
# Statuses that hold the practitioner's time. A no-show frees it for a walk-in.
ACTIVE_STATUSES = (BOOKED, ARRIVED, FULFILLED)

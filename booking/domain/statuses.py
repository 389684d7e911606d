"""Booking statuses, in FHIR Appointment.status words: one definition for every layer."""

BOOKED, ARRIVED, FULFILLED, CANCELLED, NOSHOW, ENTERED_IN_ERROR = (
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
)
STATUSES = (BOOKED, ARRIVED, FULFILLED, CANCELLED, NOSHOW, ENTERED_IN_ERROR)
# Statuses that hold the practitioner's time. A no-show frees it for a walk-in.
ACTIVE_STATUSES = (BOOKED, ARRIVED, FULFILLED)
# Bookings that should never have existed (a flood, a test): voided by staff in bulk,
# no longer held, and left out of reports, lists and the patient's history.
VOIDED_STATUSES = (ENTERED_IN_ERROR,)

"""Practitioners, the feature in one place: the roster, their hours and time off, their feed.

Owners add, edit, retire and restore practitioners (`roster`); reception sets their
weekly hours and time off and sees the bookings a change strands (`schedule`); each
practitioner may have a secret calendar feed (`feed`).
"""

from booking.services.practitioners.feed import (
    create_feed,
    feed_calendar,
    feed_changed_at,
    feed_uid,
    practitioner_for_feed,
    revoke_feed,
)
from booking.services.practitioners.roster import (
    RetireRefused,
    StaffingError,
    all_services,
    create_practitioner,
    list_practitioners,
    restore_practitioner,
    retire_practitioner,
    upcoming_bookings,
    update_practitioner,
)
from booking.services.practitioners.schedule import (
    ScheduleError,
    add_time_off,
    conflicting_bookings,
    delete_time_off,
    hours_snapshot,
    set_hours,
    time_off_span,
    upcoming_time_off,
)

__all__ = [
    "RetireRefused",
    "ScheduleError",
    "StaffingError",
    "add_time_off",
    "all_services",
    "conflicting_bookings",
    "create_feed",
    "create_practitioner",
    "delete_time_off",
    "feed_calendar",
    "feed_changed_at",
    "feed_uid",
    "hours_snapshot",
    "list_practitioners",
    "practitioner_for_feed",
    "restore_practitioner",
    "retire_practitioner",
    "revoke_feed",
    "set_hours",
    "time_off_span",
    "upcoming_bookings",
    "upcoming_time_off",
    "update_practitioner",
]

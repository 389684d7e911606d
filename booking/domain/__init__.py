"""Pure domain logic: availability, course estimates and red-flag screening."""

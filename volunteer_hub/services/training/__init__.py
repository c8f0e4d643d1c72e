"""Training's writes, one module per job: courses, sessions, bookings (with the fair waitlist), reminders, the calendar feed and the register.

Every function that counts places locks the session row first (`common.lock_session`): SELECT ...
FOR UPDATE on PostgreSQL; on SQLite the writing transaction already began with BEGIN
IMMEDIATE. Promotion from the waitlist (`fill_places`) runs in the same transaction as the
change that freed the place. Functions flush, never commit: `unit_of_work` commits.
The pages' readers are in `volunteer_hub.queries.training` and `volunteer_hub.queries.register`.
"""
from volunteer_hub.services.training.bookings import (  # noqa: F401
    Accepted,
    accept_offer,
    book_session,
    cancel_booking,
    change_capacity,
    check_can_book,
    decline_offer,
    fill_places,
    has_completed_prerequisite,
    lapse_offers,
    move_booking,
    sessions_with_expired_offers,
)
from volunteer_hub.services.training.common import (  # noqa: F401
    bookings_in,
    count_in,
    email_booking,
    email_confirmed,
    format_local,
    lock_session,
    parse_reminder_hours,
    reminder_hours_for,
)
from volunteer_hub.services.training.courses import (  # noqa: F401
    COURSE_FIELDS,
    list_courses,
    save_course,
)
from volunteer_hub.services.training.feeds import (  # noqa: F401
    calendar_feed_for_token,
    calendar_feed_token,
    reset_calendar_feed,
)
from volunteer_hub.services.training.register import (  # noqa: F401
    add_walk_in,
    correct_attendance,
    finalise_register,
    mark_attendance,
    mark_everyone_present,
)
from volunteer_hub.services.training.reminders import (  # noqa: F401
    send_due_reminders,
)
from volunteer_hub.services.training.sessions import (  # noqa: F401
    SessionValues,
    cancel_session,
    copy_session,
    create_session,
    update_session,
)

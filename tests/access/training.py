"""Access rules and URL parameter values for the training area."""
from tests.factories_training import make_booking, make_course, make_session

ACCESS = {
    "training.course_list": "user",
    "training.course_edit": "staff",
    "training.session_list": "user",
    "training.session_edit": "staff",
    "training.session_copy": "staff",
    "training.session_cancel": "staff",
    "training.session_detail": "user",
    "training.session_book": "user",
    "training.session_book_person": "staff",
    "training.booking_cancel": "owner",
    "training.booking_offer": "owner",
    "training.booking_accept": "owner",
    "training.booking_decline": "owner",
    "training.booking_move": "staff",
    "training.my_training": "user",
    "training.calendar_reset": "user",
    "training.calendar_feed": "public",
    "training.my_sessions": "trainer",
    "training.register": "owner",
    "training.register_mark": "owner",
    "training.register_all_present": "owner",
    "training.register_walk_in": "owner",
    "training.register_print": "owner",
    "training.register_finalise": "owner",
    "training.attendance_correct": "staff",
    "training.attendance_report": "staff",
}


def _session(ctx):
    if "training_session" not in ctx:
        ctx["training_session"] = make_session(make_course())
    return ctx["training_session"]


def _booking(ctx):
    if "booking" not in ctx:
        ctx["booking"] = make_booking(_session(ctx), ctx["person"])
    return ctx["booking"]


def _attendance(ctx):
    from volunteer_hub.models import Attendance, AttendanceStatus, db

    if "attendance" not in ctx:
        a = Attendance(session_id=_session(ctx).id, user_id=ctx["person"].id, status=AttendanceStatus.PRESENT)
        db.session.add(a)
        db.session.commit()
        ctx["attendance"] = a
    return ctx["attendance"]


PARAMS = {
    "session_id": lambda ctx: _session(ctx).id,
    "course_id": lambda ctx: _session(ctx).course_id,
    "booking_id": lambda ctx: _booking(ctx).id,
    "attendance_id": lambda ctx: _attendance(ctx).id,
}

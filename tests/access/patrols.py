"""Access rules and URL parameter values for the patrol routes."""
import datetime as dt

ACCESS = {
    "patrols.shift_list": "user",
    "patrols.shift_new": "staff",
    "patrols.shift": "user",
    "patrols.join": "user",
    "patrols.leave": "owner",  # your own place on the shift (404 if you have none)
    "patrols.confirm": "staff",
    "patrols.cancel": "staff",
    "patrols.lead": "staff",  # and the shift's lead (tested in tests/views/test_patrols.py)
    "patrols.check_out_member": "owner",  # the person, the lead or staff
    "patrols.night": "owner",  # the pages of your own night (404 for anyone not on the shift)
    "patrols.count": "owner",
    "patrols.night_hand_out": "owner",
    "patrols.tally": "owner",
    "patrols.home_safe": "owner",
    "patrols.figures": "staff",
}


def _shift(ctx):
    if "patrol_shift" not in ctx:
        from volunteer_hub.models import PatrolShift, db, utcnow

        start = utcnow() + dt.timedelta(days=3)
        ctx["patrol_shift"] = PatrolShift(title="Saturday patrol", starts_at=start, ends_at=start + dt.timedelta(hours=5))
        db.session.add(ctx["patrol_shift"])
        db.session.commit()
    return ctx["patrol_shift"]


def _member(ctx):
    if "patrol_member" not in ctx:
        from volunteer_hub.models import MemberStatus, PatrolMember, db

        ctx["patrol_member"] = PatrolMember(shift_id=_shift(ctx).id, user_id=ctx["person"].id, status=MemberStatus.JOINED)
        db.session.add(ctx["patrol_member"])
        db.session.commit()
    return ctx["patrol_member"]


PARAMS = {
    "shift_id": lambda ctx: _shift(ctx).id,
    "member_id": lambda ctx: _member(ctx).id,
    "phase": lambda ctx: "out",
}

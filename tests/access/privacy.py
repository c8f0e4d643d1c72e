"""Access rules for the privacy notice, subject access, erasure and retention."""
import datetime as dt


def _request(ctx):
    from volunteer_hub.models import ErasureRequest, db

    if "erasure_request" not in ctx:
        ctx["erasure_request"] = ErasureRequest(user_id=ctx["person"].id, due_on=dt.date.today())
        db.session.add(ctx["erasure_request"])
        db.session.commit()
    return ctx["erasure_request"].id


ACCESS = {
    "privacy.erase": "admin",
    "privacy.requests": "admin",
    "privacy.decline": "admin",
    "privacy.request_erasure": "user",
    "privacy.keep": "public",  # the signed link in the warning email is the key
    "privacy.due": "staff",
    "privacy.my_data": "user",
    "privacy.notice_accept": "user",
    "privacy.person_data": "staff",
}

PARAMS = {
    "request_id": _request,
}

"""Access rules and URL parameter values for the certificates area."""
import datetime as dt

ACCESS = {
    "certificates.mine": "user",
    "certificates.pdf": "owner",
    "certificates.verify": "public",
    "certificates.verify_code": "public",
    "certificates.compliance": "staff",
    "certificates.compliance_export": "staff",
    "certificates.organisations": "staff",
    "certificates.venue_summary": "staff",
    "certificates.expiring": "staff",
    "certificates.requirements": "staff",
    "certificates.person": "staff",
    "certificates.external_new": "staff",
    "certificates.revoke": "staff",
}


def _certificate(ctx):
    if "certificate" not in ctx:
        from tests.factories_certificates import issue, make_course

        ctx["certificate"] = issue(ctx["person"], make_course(), dt.date.today() - dt.timedelta(days=3))
    return ctx["certificate"]


PARAMS = {
    "certificate_id": lambda ctx: _certificate(ctx).id,
    "code": lambda ctx: _certificate(ctx).verification_code,
}

"""Certificates' writes, one module per job: issuing and withdrawing, compliance requirements, and
the reminders before they lapse. Nothing here commits: `unit_of_work` does. The pages' readers are in
`volunteer_hub.queries.certificates` and `volunteer_hub.queries.compliance`.
"""
from volunteer_hub.services.certificates.issuing import (  # noqa: F401
    SyncResult,
    attendance_qualifies,
    issue_certificate,
    record_external_certificate,
    revoke_certificate,
    sync_certificates_for_session,
)
from volunteer_hub.services.certificates.reminders import (  # noqa: F401
    next_sessions_url,
    reminder_thresholds,
    send_expiry_reminders,
    send_weekly_summary,
)
from volunteer_hub.services.certificates.requirements import (  # noqa: F401
    list_requirements,
    set_requirements,
)

"""Night patrols' writes, one module per job: the rota (shifts, the weekly pattern, confirming or
cancelling a short shift), who may join (gating), joining and leaving (under the shift's row lock),
the night itself (register, kit bag counted out and in, hand-outs, tallies, home safe) and the
jobs (reminders, the too-few warning, home-safe escalation). Nothing here commits: `unit_of_work`
does. The pages' readers are in `volunteer_hub.queries.patrols`.
"""
from volunteer_hub.services.patrols.common import home_safe_minutes, lock_shift  # noqa: F401
from volunteer_hub.services.patrols.gating import Reason, reasons_cannot_join  # noqa: F401
from volunteer_hub.services.patrols.jobs import (  # noqa: F401
    escalate_missing_check_outs,
    send_shift_reminders,
    warn_short_shifts,
)
from volunteer_hub.services.patrols.joining import join_shift, leave_shift  # noqa: F401
from volunteer_hub.services.patrols.night import (  # noqa: F401
    can_lead,
    check_out,
    count_kit_in,
    count_kit_out,
    hand_out_on_patrol,
    lead_sees_phones,
    start_shift,
    tally,
)
from volunteer_hub.services.patrols.rota import (  # noqa: F401
    cancel_shift,
    confirm_shift,
    create_shift,
    create_weekly_pattern,
    decision_deadline,
    length_note,
    shift_times,
)

"""All models, imported so that SQLAlchemy (and Alembic) see every table."""
from volunteer_hub.models.audit import AuditEntry  # noqa: F401
from volunteer_hub.models.base import Base, UTCDateTime, db, immediate_transactions, utcnow  # noqa: F401
from volunteer_hub.models.certificates import (  # noqa: F401
    CERTIFICATE_STATUS_LABELS,
    Certificate,
    CertificateStatus,
    ComplianceRequirement,
)
from volunteer_hub.models.equipment import (  # noqa: F401
    Asset,
    AssetLoan,
    HandOutTotal,
    Holder,
    HolderKind,
    Item,
    ItemKind,
    LowStockAlert,
    MovementKind,
    Place,
    PlaceKind,
    StockBalance,
    StockMovement,
    TimeBand,
    TotalGrain,
)
from volunteer_hub.models.outbox import OutboxMessage, OutboxStatus  # noqa: F401
from volunteer_hub.models.patrols import (  # noqa: F401
    TALLY_LABELS,
    KitCount,
    KitCountPhase,
    MemberStatus,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    ShiftStatus,
    TallyKind,
    patrol_shift_courses,
)
from volunteer_hub.models.people import (  # noqa: F401
    ORGANISATION_KIND_LABELS,
    CoordinatorAgency,
    ErasureRequest,
    NoticeAcceptance,
    Organisation,
    OrganisationKind,
    RecoveryCode,
    Role,
    User,
    UserRole,
)
from volunteer_hub.models.reports import (  # noqa: F401
    CertificateCoverage,
    CertificateLapse,
    ComplianceSpan,
    PublishedSummary,
    SessionTotal,
    TrainedPerson,
)
from volunteer_hub.models.training import (  # noqa: F401
    ACTIVE,
    ACTIVE_BOOKING_STATUSES,
    ATTENDED,
    HOLDING,
    MAX_SESSION,
    WAITING,
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Booking,
    BookingStatus,
    CalendarFeed,
    Course,
    SessionStatus,
    TrainingSession,
    session_trainers,
)

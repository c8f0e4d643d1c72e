"""Domain errors: a message a person can read, and optionally the form field it belongs to."""


class DomainError(Exception):
    """A rule said no. `field` names the form field the message belongs next to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The person may not do this."""


class ValidationFailed(DomainError):
    """The values break a rule the form cannot check by itself."""


class Conflict(DomainError):
    """The change clashes with the current state (already done, taken, full...)."""

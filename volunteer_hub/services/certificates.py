"""Certificates: issued from a finalised register, verifiable, renewed, revoked."""
from __future__ import annotations

from volunteer_hub.models import TrainingSession


def sync_certificates_for_session(training_session: TrainingSession, by=None) -> None:
    """Issue or withdraw certificates so they match the session's finalised register.

    Called by the training area whenever a register is finalised or a finalised mark is
    corrected. Filled in by the certificates area; until then it does nothing.
    """
    return None

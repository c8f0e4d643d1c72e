"""Access rules for the audit trail's routes (read and download only)."""
ACCESS = {
    "audit.index": "staff",
    "audit.export": "staff",
}

"""Business rules, one module per area. Functions flush; the caller commits."""

"""Personal data under UK GDPR: the notice a person accepts, the subject-access download,
erasure that keeps the partnership's figures true, and retention that erases quiet accounts.
One module per job; the views and `flask privacy ...` commands call these functions."""

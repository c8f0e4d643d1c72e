"""One rule for refusals in every area: a refused form re-renders with 400 and its errors, and
nothing is written."""
from __future__ import annotations

import pytest

from tests.factories import make_user, sign_in_as
from volunteer_hub.models import Role

REFUSED_FORMS = [
    ("/auth/sign-in", {"email": "nobody@example.org", "password": "wrong password!"}, None),
    ("/profile", {"name": ""}, Role.VOLUNTEER),
    ("/organisations", {"name": "", "kind": "nonsense"}, Role.ADMIN),
    ("/training/courses/new", {"title": ""}, Role.COORDINATOR),
    ("/training/sessions/new", {"capacity": "0"}, Role.COORDINATOR),
    ("/equipment/items", {"name": ""}, Role.COORDINATOR),
    ("/equipment/receive", {"quantity": "-1"}, Role.COORDINATOR),
]


@pytest.mark.parametrize(("path", "data", "role"), REFUSED_FORMS, ids=[p for p, _, _ in REFUSED_FORMS])
def test_a_refused_form_answers_400_with_its_errors(client, path, data, role):
    if role is not None:
        sign_in_as(client, make_user(role))
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)

"""Searchable pickers instead of a list of everyone: the issue form shows at most 20 people, finds
by name or email keeping every value entered and the people ticked, and the suggestions endpoint
answers only with people the viewer may see."""
from tests.factories import make_org, make_user
from tests.factories_equipment import make_item, make_store
from volunteer_hub.models import Role


def _crowd(n: int, org=None) -> list:
    return [make_user(name=f"Volunteer {i:03d}", organisation=org) for i in range(n)]


def test_the_issue_form_lists_twenty_people_and_says_there_are_more(page):
    _crowd(30)
    page.sign_in(make_user(Role.COORDINATOR, name="Zoe Coordinator"))
    form = page.get("/equipment/issue")
    boxes = form.select("[data-picker-matches] input[name=volunteer_ids]")
    assert len(boxes) == 20
    assert "More people match" in form.one("[data-picker-more]").get_text()
    assert not form.one("[data-picker-more]").has_attr("hidden")


def test_find_keeps_what_was_entered_and_who_was_ticked(page):
    crowd = _crowd(25)
    zed = make_user(name="Zed Quickfind", email="zed.q@example.org")
    store, alarm = make_store("Central store"), make_item("Personal alarm")
    page.sign_in(make_user(Role.COORDINATOR))
    found = page.get(f"/equipment/issue?find=volunteer_ids&people_q=quickfind&from_holder_id={store.id}"
                     f"&item_id={alarm.id}&quantity=7&volunteer_ids={crowd[3].id}&idempotency_key={'a' * 32}")
    assert found.one("#quantity")["value"] == "7"
    ticked = found.select("[data-picker-ticked] input:checked")
    assert [b["value"] for b in ticked] == [str(crowd[3].id)]
    assert [b["value"] for b in found.select("[data-picker-matches] input")] == [str(zed.id)]
    by_email = page.get("/equipment/issue?find=volunteer_ids&people_q=zed.q%40example")
    assert [b["value"] for b in by_email.select("[data-picker-matches] input")] == [str(zed.id)]
    nobody = page.get("/equipment/issue?find=volunteer_ids&people_q=nobody-like-this")
    assert "No one matches “nobody-like-this”." in nobody.text


def test_suggestions_are_only_people_the_viewer_may_see(page, client):
    agency, other = make_org("Agency A"), make_org("Agency B")
    mine, theirs = make_user(name="Ann Picker", organisation=agency), make_user(name="Ann Hidden", organisation=other)
    make_user(name="Ann Gone", organisation=agency, active=False)
    page.sign_in(make_user(Role.COORDINATOR, agencies=[agency]))
    answer = page.client.get("/people/suggest?q=ann").get_json()
    assert answer == {"people": [{"id": mine.id, "label": "Ann Picker (Agency A)"}], "more": False}
    # a ticked id of someone outside the agencies is not shown back either
    form = page.get(f"/equipment/issue?find=volunteer_ids&people_q=&volunteer_ids={theirs.id}")
    assert "Ann Hidden" not in form.text
    page.sign_in(make_user(Role.VOLUNTEER))
    assert page.client.get("/people/suggest?q=ann").status_code == 403


def test_suggestions_stop_at_twenty(page):
    _crowd(30)
    page.sign_in(make_user(Role.COORDINATOR))
    answer = page.client.get("/people/suggest?q=volunteer").get_json()
    assert len(answer["people"]) == 20 and answer["more"] is True

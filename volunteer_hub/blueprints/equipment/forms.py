import functools
import uuid

from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from volunteer_hub.forms import Form, OptionalIntSelectField, PeoplePickerField, SelectField, choices
from volunteer_hub.models import ItemKind, MovementKind, PlaceKind, TimeBand

# Zero and negative quantities are refused by the service (with its message); this only keeps
# numbers within what the database stores.
AT_MOST = NumberRange(max=1_000_000, message="Enter a number no bigger than 1,000,000.")
QUANTITY = [InputRequired("Enter a quantity."), AT_MOST]
NUMBER = {"inputmode": "numeric", "min": "0"}


def new_key() -> str:
    return uuid.uuid4().hex


class OnceForm(Form):
    """A form that records stock: a hidden key makes a double submit record once."""

    idempotency_key = HiddenField(default=new_key, validators=[
        DataRequired(), Regexp(r"^[0-9a-f]{32}$", message="Reload the page and try again.")])


class ReceiveForm(OnceForm):
    store_id = SelectField("Into store", coerce=int, choices=[])
    item_id = SelectField("Item", coerce=int, choices=[])
    quantity = IntegerField("Quantity", validators=QUANTITY, render_kw=NUMBER)
    supplier = StringField("Supplier (optional)", validators=[Optional(), Length(max=120)])
    batch = StringField("Batch or lot (optional)", validators=[Optional(), Length(max=60)])
    use_by = DateField("Use by (optional)", validators=[Optional()],
                       description="For example, when the batteries in a box of alarms expire.")
    reason = StringField("Note (optional)", validators=[Optional(), Length(max=500)])


class IssueForm(OnceForm):
    from_holder_id = SelectField("From", coerce=int, choices=[])
    item_id = SelectField("Item", coerce=int, choices=[])
    quantity = IntegerField("Quantity for each recipient", validators=QUANTITY, render_kw=NUMBER)
    volunteer_ids = PeoplePickerField("Volunteers' kit bags", validators=[Optional()])
    organisation_ids = PeoplePickerField("Venues and organisations", validators=[Optional()])
    to_store_id = OptionalIntSelectField("Or to a store (including returns)", choices=[], validators=[Optional()])
    reason = StringField("Note (optional)", validators=[Optional(), Length(max=500)])


class HandOutBase(OnceForm):
    place_id = OptionalIntSelectField("Where", choices=[], validators=[Optional()])
    place_text = StringField("Or type where (optional)", validators=[Optional(), Length(max=120)])
    occurred_on = DateField("Date", validators=[InputRequired("Enter the date.")])
    time_band = SelectField("Time", choices=choices((t.value, t.label) for t in TimeBand))
    event_name = StringField("Event (optional)", validators=[Optional(), Length(max=120)],
                             description="For example, Walk and Talk night.")


@functools.lru_cache(maxsize=128)
def _hand_out_form_class(items: tuple[tuple[int, str], ...]) -> type[HandOutBase]:
    """The form class for these (item id, item name) pairs, made once: a new class per request
    cost WTForms its field set-up every time (the form is sent many times a night)."""
    attrs = {f"qty_{item_id}": IntegerField(name, default=0, validators=[Optional(), AT_MOST],
                                            render_kw={"inputmode": "numeric", "min": "0"})
             for item_id, name in items}
    return type("HandOutForm", (HandOutBase,), attrs)


def hand_out_form(items, **kwargs) -> HandOutBase:
    """The hand-out form with one quantity per item the holder has."""
    return _hand_out_form_class(tuple((item.id, item.name) for item in items))(**kwargs)


class StocktakeBase(OnceForm):
    reason = StringField("What count is this?", validators=[DataRequired("Say what the count was."), Length(max=500)],
                         default="Stocktake")


def stocktake_form(items, balances, **kwargs) -> StocktakeBase:
    attrs = {f"count_{item.id}": IntegerField(f"{item.name}: counted", default=balances.get(item.id, 0),
                                              validators=[InputRequired("Enter the count (0 if none)."), AT_MOST],
                                              render_kw=NUMBER)
             for item in items}
    return type("StocktakeForm", (StocktakeBase,), attrs)(**kwargs)


class WriteOffForm(OnceForm):
    item_id = SelectField("Item", coerce=int, choices=[])
    quantity = IntegerField("Quantity", validators=QUANTITY, render_kw=NUMBER)
    reason = StringField("Why", validators=[DataRequired("Say why (lost, damaged, expired...)."), Length(max=500)])


class ReverseForm(OnceForm):
    reason = StringField("Why is it being reversed?", validators=[DataRequired("Say why."), Length(max=500)])


class ItemForm(Form):
    name = StringField("Name (one of them)", validators=[DataRequired("Enter the item's name."), Length(max=120)])
    plural = StringField("Plural (optional)", validators=[Optional(), Length(max=120)],
                         description="How to say several, e.g. personal alarms.")
    kind = SelectField("Kind", choices=choices((k.value, k.label) for k in ItemKind))
    unit = StringField("Counted as", default="each", validators=[DataRequired(), Length(max=40)])
    low_stock_level = IntegerField("Low-stock level", default=0, validators=[InputRequired(), AT_MOST], render_kw=NUMBER,
                                   description="Coordinators get one email when a store holds this many or fewer.")


class ItemEditForm(ItemForm):
    is_active = BooleanField("In use (untick to retire)")


class PlaceForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter the place's name."), Length(max=120)])
    kind = SelectField("Kind", choices=choices((k.value, k.label) for k in PlaceKind))


class StoreForm(Form):
    name = StringField("Store name", validators=[DataRequired("Enter the store's name."), Length(max=120)])


class AssetForm(Form):
    item_id = SelectField("Item", coerce=int, choices=[])
    serial = StringField("Serial number", validators=[DataRequired("Enter the serial number."), Length(max=80)])


class CheckOutForm(Form):
    user_id = PeoplePickerField("Who takes it", validators=[InputRequired("Choose who takes it.")])
    due_on = DateField("Due back", validators=[InputRequired("Enter the due date.")])


class MovementFilterForm(Form):
    class Meta:
        csrf = False

    item = OptionalIntSelectField("Item", choices=[], validators=[Optional()])
    holder = OptionalIntSelectField("Holder", choices=[], validators=[Optional()])
    kind = SelectField("Kind", choices=choices([("", "Any kind")] + [(k.value, k.label) for k in MovementKind]),
                       validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])


class ReportForm(Form):
    class Meta:
        csrf = False

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

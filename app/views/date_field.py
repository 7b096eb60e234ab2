"""The one date field of every form: German text input, parsed by ``app/dates.py``.

Shown and accepted as ``TT.MM.JJJJ`` (typing ``05.12.2026``, pasting ``5.12.26`` or
``2026-12-05`` work); never an ISO date shown to the user. An impossible or out-of-range date is
refused at the field with the German message of :mod:`app.dates`, and the typed text stays in
the field. ``app/static/js/msa-date.js`` writes a pasted or short date as ``TT.MM.JJJJ`` when the
field is left (display only: the server parses whatever arrives).

FAB's generated add/edit forms get this field for every Date column through
``app/views/base.py`` (FAB's converter table), the hand-written forms use it directly.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import Markup
from wtforms import Field, TimeField
from wtforms.widgets import html_params

from app.dates import EARLIEST, HINT, LATEST, DateError, de_date, parse_date
from app.i18n import N_, translate

HELP = N_("Format TT.MM.JJJJ, z. B. 05.12.2026")
#: the hint's text in the catalogue (the hint itself is ``app.dates.HINT``)
_HINT_TEXT = N_("TT.MM.JJJJ")
_ISO_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_input(
    name: str,
    value: Any = "",
    *,
    id: str | None = None,
    describedby: str | None = None,
    invalid: bool = False,
    **attrs: Any,
) -> Markup:
    """The German date input as HTML (also the Jinja global ``date_input`` of hand-written forms).

    ``value``: a date, an ISO text (shown German) or the text the user typed (kept as typed).
    """
    field_id = id or name
    if isinstance(value, str):
        text = de_date(value, "") if _ISO_TEXT.match(value.strip()) else value
    else:
        text = de_date(value, "")
    if "class_" in attrs:
        attrs["class"] = attrs.pop("class_")
    attrs.setdefault("class", "form-control msa-date")
    hint_id = f"{field_id}-hilfe"
    if invalid:
        attrs["aria-invalid"] = "true"
    params = html_params(
        type="text",
        id=field_id,
        name=name,
        value=text,
        inputmode="numeric",
        autocomplete="off",
        placeholder=translate(HINT),
        title=translate(HELP),
        maxlength=20,
        **{"aria-describedby": " ".join(filter(None, (hint_id, describedby)))},
        **{"data-msa-date": "1"},
        **attrs,
    )
    html = '<input {}><span id="{}" class="help-block msa-date-hint">{}</span>'
    # html_params escapes every attribute value; hint id and help text are escaped by format
    return Markup(html).format(Markup(params), hint_id, translate(HELP))  # noqa: S704  # nosec B704


class GermanDateInput:
    """Widget: a text input with the German format hint and a help text."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if field.flags.required:
            kwargs.setdefault("required", True)
        cls = kwargs.pop("class_", None) or kwargs.pop("class", None) or ""
        classes = " ".join(c for c in (cls, "form-control", "msa-date") if c)
        classes = " ".join(dict.fromkeys(classes.split()))
        describedby = kwargs.pop("aria-describedby", None) or kwargs.pop("aria_describedby", None)
        invalid = bool(field.errors) or str(kwargs.pop("aria-invalid", "")) == "true"
        kwargs["class"] = classes
        return date_input(
            field.name, field._value(), describedby=describedby, invalid=invalid, **kwargs
        )


class GermanDateField(Field):
    """Date field: German text in and out; refuses impossible dates, keeps the input."""

    widget = GermanDateInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        minimum: dt.date = EARLIEST,
        maximum: dt.date = LATEST,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("format", None)  # the format is the portal's, not the form's
        widget = kwargs.pop("widget", None)
        super().__init__(label, validators, **kwargs)
        if widget is not None and not isinstance(widget, GermanDateInput):
            widget = None  # FAB's converter hands its date picker: the German input instead
        if widget is not None:
            self.widget = widget
        self.minimum = minimum
        self.maximum = maximum

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(str(self.raw_data[0]).split())
        return de_date(self.data, "")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_date(valuelist[0], minimum=self.minimum, maximum=self.maximum)
        except DateError as exc:
            self.data = None
            raise ValueError(translate(exc.message)) from None


#: the message of a date field left empty (one message: the field's own, see :class:`DateRequired`)
DATE_REQUIRED = N_("Bitte ein Datum angeben.")
#: the message of a time the form cannot read (WTForms' own is English)
TIME_INVALID = N_("Bitte eine gültige Uhrzeit angeben (HH:MM, z. B. 09:30).")
#: the message of a required time left empty
TIME_REQUIRED = N_("Bitte eine Uhrzeit angeben.")


class DateRequired:
    """Validator of a required :class:`GermanDateField`: one German message at the field.

    Empty (or blank) input: ``message``. A date the field cannot read keeps the field's own
    message (``DataRequired`` would replace it by "please give a date", ``InputRequired`` would
    let a blank input through as no date). Sets the field's ``required`` flag (the browser's
    ``required`` and the form's mark).
    """

    field_flags = {"required": True}

    def __init__(self, message: str = DATE_REQUIRED) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        from wtforms.validators import StopValidation

        if field.process_errors:
            raise StopValidation()  # the field's own message stays the only one
        if field.data is None:
            field.errors[:] = []
            raise StopValidation(translate(self.message))


class GermanTimeField(TimeField):
    """Time field (``HH:MM``; ``9:30`` and ``09.30`` read too) with a German message for a time
    it cannot read — shown in English in an English request through the catalogue."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S", "%H.%M"])
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(translate(TIME_INVALID)) from None

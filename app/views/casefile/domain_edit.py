"""FAB's edit form as a door to a domain verb: the form only collects, the verb decides.

FAB's own edit writes the row itself and, on any refusal, redirects away and loses the input.
:class:`DomainEditMixin` keeps FAB's form and widgets but saves through ``update_verb`` and,
on a :class:`~app.services.errors.DomainError`, shows the form again with the input and the
German message at its field (HTTP 409 for a closed quarter or an outdated version, else 422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.extensions import db
from app.services.errors import DomainError
from app.views.casefile.common import _apply_form_errors, _current_user, _fmt_date


class DomainEditMixin:
    """Edit route of a ModelView whose record has a domain verb for its changes."""

    #: ``verb(item, *, actor, changes)`` — the record's one door for changes
    update_verb: ClassVar[Callable[..., Any]]
    #: German name of the record in the success message ("Vermittlung")
    record_name: ClassVar[str] = "Datensatz"
    #: the attribute whose date names the record in the success message
    record_date: ClassVar[str] = "date"

    def form_changes(self, form: Any) -> dict[str, Any]:
        """The changed fields as the verb takes them (the edit form's columns)."""
        view: Any = self
        return {name: form[name].data for name in view.edit_columns if name in form}

    def saved_message(self, item: Any) -> str:
        day = getattr(item, self.record_date, None)
        return (
            f"{self.record_name} vom {_fmt_date(day)} gespeichert."
            if day
            else (f"{self.record_name} gespeichert.")
        )

    def edit_form_hints(self, form: Any, item: Any) -> None:
        """Hints next to the edit form's fields (a view may add some; never changes data)."""

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        view: Any = self
        item = view.datamodel.get(pk, view._base_filters)
        if item is None:
            abort(404)
        if request.method == "GET":
            form = view.edit_form.refresh(obj=item)
            view.prefill_form(form, pk)
            status = 200
        else:
            form = view.edit_form.refresh(request.form)
            status = 422
            if form.validate():
                try:
                    type(self).update_verb(
                        item, actor=_current_user(), changes=self.form_changes(form)
                    )
                except DomainError as exc:
                    db.session.rollback()
                    status = 409 if exc.status == 409 else 422
                    _apply_form_errors(form, {k: v for k, v in exc.errors.items() if k})
                    flash(f"{self.record_name} wurde nicht gespeichert. {exc.message}", "danger")
                else:
                    flash(self.saved_message(item), "success")
                    return redirect(url_for(f"{type(self).__name__}.show", pk=pk))
        self.edit_form_hints(form, item)
        widgets = view._get_edit_widget(form=form, exclude_cols=[])
        return (
            view.render_template(view.edit_template, title=view.edit_title, widgets=widgets),
            status,
        )

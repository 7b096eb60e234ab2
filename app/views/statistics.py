"""Quarterly statistics (Anlage 1): figures, submission, county review, charts, exports (R-7).

Configuration and glue only: figures come from app.services.statistics.counting, the workflow from
app.services.statistics.quarterly_report, the charts from app.services.statistics.charts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect, safe
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.statistics import REPORT_STATUS_LABELS
from app.security import matrix
from app.security.matrix import READ_WRITE_METHODS
from app.services.statistics import charts, exports, periods
from app.services.statistics import counting as st
from app.services.statistics import quarterly_report as qr
from app.services.statistics import referrals as rs
from app.services.statistics.annual import (
    AnnualTalkError,
    allowed_annual,
    annual_evaluation,
    record_talk,
)
from app.services.statistics.annual import to_pdf as annual_pdf

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _int_arg(source: Any, name: str, default: int | None) -> int | None:
    raw = source.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        abort(400)


def _period(source: Any) -> st.Quarter:
    default = st.Quarter.of(dt.date.today()).previous()
    try:
        return st.Quarter(
            _int_arg(source, "year", default.year) or default.year,
            _int_arg(source, "quarter", default.quarter) or default.quarter,
        )
    except st.StatisticsError:
        abort(400)


def _figures_for(
    source: Any, organisations: list[tuple[int, str]] | None = None
) -> tuple[int, st.Quarter, dict[str, Any], Any, int | None]:
    """Return (organisation id, period, figures shown, report, caseworker restriction).

    ``organisations``: the reporting organisations if the caller has read them already.
    """
    viewer = qr.Viewer.of(g.user)
    period = _period(source)
    requested = _int_arg(source, "organisation_id", None)
    if requested is None and viewer.is_county:
        # the county itself reports nothing: start with the first provider
        first = organisations[0][0] if organisations else next(iter(st.reporting_org_ids()), None)
        requested = first if first is not None else viewer.organisation_id
    try:
        org_id, caseworker = qr.allowed_view(viewer, requested)
        report = periods.report_with_organisation(org_id, period.year, period.quarter)
        stats = periods.reported_statistics(
            org_id,
            period.year,
            period.quarter,
            caseworker_id=caseworker,
            caseworker_username=g.user.username,
            report=report,
            report_loaded=True,
        )
    except qr.ReportForbiddenError:
        abort(403)
    except st.StatisticsError:
        abort(404)
    return org_id, period, stats, report, caseworker


class StatisticsView(BaseView):
    """Quartalsstatistik — figures of one organisation and quarter; the lead submits them."""

    route_base = "/statistics"
    default_view = "quarter"
    class_permission_name = matrix.STATISTICS
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def quarter(self) -> Any:
        viewer = qr.Viewer.of(g.user)
        organisations = st.reporting_organisations() if viewer.is_county else []
        org_id, period, stats, report, caseworker = _figures_for(request.args, organisations)
        return self.render_template(
            "statistics/quarter.html",
            title=f"Quartalsstatistik {period.label} – {stats.get('organisation', '')}",
            stats=stats,
            period=period,
            org_id=org_id,
            report=report,
            status=qr.status_of(report),
            status_labels=REPORT_STATUS_LABELS,
            own_only=caseworker is not None,
            can_submit=viewer.is_lead
            and viewer.organisation_id == org_id
            and qr.status_of(report) in ("draft", "returned")
            and period.end < dt.date.today(),
            organisations=organisations,
            is_county=viewer.is_county,
            figures=st.FIGURES,
            figure_labels=st.FIGURE_LABELS,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    @expose("/submit", methods=["POST"])
    @has_access
    def submit(self) -> Any:
        period = _period(request.form)
        org_id = _int_arg(request.form, "organisation_id", None)
        target = url_for(
            "StatisticsView.quarter",
            organisation_id=org_id,
            year=period.year,
            quarter=period.quarter,
        )
        try:
            qr.submit_report(org_id or -1, period.year, period.quarter, actor=g.user)
        except qr.ReportForbiddenError:
            abort(403)
        except st.StatisticsError as exc:
            flash(str(exc), "danger")
            return redirect(target)
        flash(f"Die Quartalsmeldung {period.label} wurde eingereicht.", "success")
        return redirect(target)

    @expose("/export/<fmt>")
    @has_access
    def export(self, fmt: str) -> Any:
        if fmt not in EXPORT_TYPES:
            abort(404)
        _org_id, period, stats, report, _cw = _figures_for(request.args)
        if fmt == "csv":
            body: bytes = exports.to_csv(stats).encode("utf-8-sig")
        elif fmt == "xlsx":
            body = exports.to_xlsx(stats)
        else:
            body = exports.to_pdf(stats, REPORT_STATUS_LABELS[qr.status_of(report)])
        name = f"anlage1-{period.year}-q{period.quarter}.{fmt}"
        return Response(
            body,
            content_type=EXPORT_TYPES[fmt],  # the charset of CSV is in it once
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _referral_figures(
    source: Any, organisations: list[tuple[int, str]] | None = None
) -> tuple[int | None, st.Quarter, dict[str, Any]]:
    """Return (organisation shown or None for the county total, period, referral figures)."""
    viewer = qr.Viewer.of(g.user)
    period = _period(source)
    requested = _int_arg(source, "organisation_id", None)
    try:
        if requested is None and viewer.is_county:
            stats = rs.referral_statistics(
                period.year, period.quarter, None, county=True, organisations=organisations
            )
            return None, period, stats
        org_id, _cw = qr.allowed_view(viewer, requested)
        stats = rs.referral_statistics(period.year, period.quarter, org_id)
    except qr.ReportForbiddenError:
        abort(403)
    except st.StatisticsError:
        abort(404)
    return org_id, period, stats


class ReferralStatisticsView(BaseView):
    """Vermittlungen — referrals per network partner, category, topic and outcome (R-6.2)."""

    route_base = "/statistics/referrals"
    default_view = "referrals"
    class_permission_name = matrix.STATISTICS
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def referrals(self) -> Any:
        viewer = qr.Viewer.of(g.user)
        organisations = st.reporting_organisations() if viewer.is_county else []
        org_id, period, stats = _referral_figures(request.args, organisations)
        return self.render_template(
            "statistics/referrals.html",
            stats=stats,
            period=period,
            org_id=org_id,
            organisations=organisations,
            is_county=viewer.is_county,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    @expose("/export/<fmt>")
    @has_access
    def export(self, fmt: str) -> Any:
        if fmt not in ("csv", "xlsx"):
            abort(404)
        _org, period, stats = _referral_figures(request.args)
        if fmt == "csv":
            body: bytes = rs.to_csv(stats).encode("utf-8-sig")
        else:
            body = rs.to_xlsx(stats)
        name = f"vermittlungen-{period.year}-q{period.quarter}.{fmt}"
        return Response(
            body,
            content_type=EXPORT_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _year(source: Any) -> int:
    default = dt.date.today().year - 1 if dt.date.today().month <= 3 else dt.date.today().year
    year = _int_arg(source, "year", default) or default
    if not 2000 <= year <= 2100:
        abort(400)
    return year


def _annual_for(
    source: Any, organisations: list[tuple[int, str]] | None = None
) -> tuple[int, int, dict[str, Any]]:
    viewer = qr.Viewer.of(g.user)
    year = _year(source)
    requested = _int_arg(source, "organisation_id", None)
    if requested is None and viewer.is_county:
        first = organisations[0][0] if organisations else next(iter(st.reporting_org_ids()), None)
        requested = first
    try:
        org_id = allowed_annual(viewer, requested)
        return org_id, year, annual_evaluation(org_id, year)
    except qr.ReportForbiddenError:
        abort(403)
    except st.StatisticsError:
        abort(404)


class AnnualEvaluationView(BaseView):
    """Jahresauswertung — the year view of a provider and the record of the annual talk (§7)."""

    route_base = "/annual-evaluation"
    default_view = "year"
    class_permission_name = matrix.ANNUAL_EVALUATION
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    def _page(self, source: Any, errors: dict[str, str] | None = None, form: Any = None) -> Any:
        viewer = qr.Viewer.of(g.user)
        organisations = st.reporting_organisations() if viewer.is_county else []
        org_id, year, ev = _annual_for(source, organisations)
        return self.render_template(
            "statistics/annual.html",
            ev=ev,
            org_id=org_id,
            year=year,
            organisations=organisations,
            figures=st.FIGURES,
            figure_labels=st.FIGURE_LABELS,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
            errors=errors or {},
            form=form or {},
        )

    @expose("/")
    @has_access
    def year(self) -> Any:
        return self._page(request.args)

    @expose("/pdf")
    @has_access
    def pdf(self) -> Any:
        _org_id, year, ev = _annual_for(request.args)
        return Response(
            annual_pdf(ev),
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="jahresauswertung-{year}.pdf"'},
        )

    @expose("/talk", methods=["POST"])
    @has_access
    def talk(self) -> Any:
        year = _year(request.form)
        org_id = _int_arg(request.form, "organisation_id", None)
        try:
            record_talk(org_id or -1, year, request.form, actor=g.user)
        except qr.ReportForbiddenError:
            abort(403)
        except AnnualTalkError as exc:
            flash("Das Jahresgespräch wurde nicht gespeichert.", "danger")
            return self._page(request.form, exc.errors, request.form), 422
        except st.StatisticsError:
            abort(404)
        flash(f"Das Jahresgespräch {year} wurde gespeichert.", "success")
        return redirect(url_for("AnnualEvaluationView.year", organisation_id=org_id, year=year))


#: providers per page of the review overview
OVERVIEW_PAGE_SIZE = 100


class StatisticsReviewView(BaseView):
    """Quartalsmeldungen — the county reviews or returns the providers' reports, with charts."""

    route_base = "/statistics-review"
    default_view = "overview"
    class_permission_name = matrix.STATISTICS_REVIEW
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def overview(self) -> Any:
        period = _period(request.args)
        orgs = st.reporting_organisations()
        reports = qr.reports_for_quarter(period.year, period.quarter, [i for i, _n in orgs])
        counts = Counter(reports[i].status if i in reports else "draft" for i, _n in orgs)
        total = len(orgs)
        # ?status=submitted: only the reports waiting for review (the landing tile)
        status = request.args.get("status")
        if status in REPORT_STATUS_LABELS:
            orgs = [
                (i, n)
                for i, n in orgs
                if (reports[i].status if i in reports else "draft") == status
            ]
        else:
            status = None
        # a state or the whole country has hundreds of providers: one page of them at a time
        pages = max(1, -(-len(orgs) // OVERVIEW_PAGE_SIZE))
        try:
            page = min(max(1, int(request.args.get("page", 1))), pages)
        except ValueError:
            page = 1
        shown = orgs[(page - 1) * OVERVIEW_PAGE_SIZE : page * OVERVIEW_PAGE_SIZE]
        rows = [(org_id, name, reports.get(org_id)) for org_id, name in shown]
        return self.render_template(
            "statistics/overview.html",
            title=f"Quartalsmeldungen der Träger {period.label}",
            period=period,
            rows=rows,
            counts=counts,
            total=total,
            page=page,
            pages=pages,
            status_labels=REPORT_STATUS_LABELS,
            status=status,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    @expose("/charts")
    @has_access
    def charts(self) -> Any:
        period = _period(request.args)
        dashboard = charts.reviewer_dashboard(period.year, period.quarter)
        return self.render_template(
            "statistics/charts.html",
            title=f"Auswertungen mit Diagrammen {period.label}",
            period=period,
            dashboard=dashboard,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    def _decide(self, report_id: int, action: str) -> Any:
        comment = request.form.get("comment", "")
        report = db.session.get(qr.QuarterlyReport, report_id)
        if report is None:
            abort(404)
        target = url_for(
            "StatisticsView.quarter",
            organisation_id=report.organisation_id,
            year=report.year,
            quarter=report.quarter,
        )
        try:
            if action == "review":
                qr.review_report(report_id, actor=g.user, comment=comment)
                flash("Die Quartalsmeldung ist als geprüft markiert.", "success")
            else:
                qr.return_report(report_id, comment, actor=g.user)
                flash("Die Quartalsmeldung wurde an den Träger zurückgegeben.", "success")
        except qr.ReportForbiddenError:
            abort(403)
        except st.StatisticsError as exc:
            flash(str(exc), "danger")
        return redirect(target)

    @expose("/<int:report_id>/review", methods=["POST"])
    @has_access
    def review(self, report_id: int) -> Any:
        return self._decide(report_id, "review")

    @expose("/<int:report_id>/return", methods=["POST"])
    @has_access
    def return_report(self, report_id: int) -> Any:
        return self._decide(report_id, "return")


class StatisticsApi(BaseApi):
    """``GET /api/v1/statistics/quarterly`` — the Anlage-1 figures (INTERFACES.md)."""

    resource_name = "statistics"
    class_permission_name = matrix.STATISTICS
    method_permission_name = READ_WRITE_METHODS
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = False
    openapi_spec_tag = "Statistik"

    @expose("/quarterly", methods=["GET"])
    @protect()
    @safe
    def quarterly(self) -> Response:
        """Return the quarterly figures of an organisation.
        ---
        get:
          summary: Anlage-1-Statistik eines Quartals
          parameters:
          - {in: query, name: organisation_id, schema: {type: integer}}
          - {in: query, name: year, required: true, schema: {type: integer}}
          - {in: query, name: quarter, required: true, schema: {type: integer}}
          responses:
            200: {description: "Zahlen je Fachkraft und Monat, Summen und Indikatoren"}
            400: {description: Ungültige Parameter}
            403: {description: Fremde Organisation}
        """
        try:
            year = int(request.args["year"])
            quarter = int(request.args["quarter"])
            raw_org = request.args.get("organisation_id")
            org_arg = int(raw_org) if raw_org not in (None, "") else None
            st.Quarter(year, quarter)  # before any query: PostgreSQL refuses a year beyond INTEGER
        except (KeyError, ValueError):
            return self.response_400(message="year und quarter sind Pflichtangaben (Zahlen)")
        except st.StatisticsError as exc:
            return self.response_400(message=str(exc))
        live = request.args.get("live", "").lower() in ("1", "true", "yes")
        try:
            org_id, caseworker = qr.allowed_view(qr.Viewer.of(g.user), org_arg)
            stats = periods.reported_statistics(
                org_id,
                year,
                quarter,
                caseworker_id=caseworker,
                caseworker_username=g.user.username,
                live=live,
            )
        except qr.ReportForbiddenError as exc:
            return self.response(403, message=str(exc))
        except st.StatisticsError as exc:
            return self.response_400(message=str(exc))
        return _json(stats)

    @expose("/quarterly/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self) -> Response:
        """Submit a quarter's figures to the county (Trägerleitung; same rules as the page).
        ---
        post:
          summary: Quartalsmeldung einreichen
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    organisation_id: {type: integer}
                    year: {type: integer}
                    quarter: {type: integer}
          responses:
            200: {description: "Die eingereichten Zahlen (Snapshot) mit Status"}
            400: {description: Ungültige Parameter}
            403: {description: Keine Trägerleitung dieses Trägers}
            409: {description: Bereits eingereicht oder Quartal noch nicht beendet}
        """
        body = request.get_json(silent=True) or {}
        viewer = qr.Viewer.of(g.user)
        try:
            year = int(body["year"])
            quarter = int(body["quarter"])
            raw_org = body.get("organisation_id")
            org_id = int(raw_org) if raw_org not in (None, "") else viewer.organisation_id
            st.Quarter(year, quarter)
        except (KeyError, TypeError, ValueError, st.StatisticsError):
            return self.response_400(message="year und quarter sind Pflichtangaben (Zahlen)")
        try:
            qr.submit_report(org_id or -1, year, quarter, actor=g.user)
        except qr.ReportForbiddenError as exc:
            return self.response(403, message=str(exc))
        except st.StatisticsError as exc:
            return self.response(409, message=str(exc))
        stats = periods.reported_statistics(org_id or -1, year, quarter)
        return _json(stats)

    @expose("/referrals", methods=["GET"])
    @protect()
    @safe
    def referrals(self) -> Response:
        """Referrals per network partner, category, topic and outcome of a quarter.
        ---
        get:
          summary: Vermittlungsstatistik eines Quartals
          parameters:
          - {in: query, name: year, required: true, schema: {type: integer}}
          - {in: query, name: quarter, required: true, schema: {type: integer}}
          - {in: query, name: organisation_id, schema: {type: integer}}
          responses:
            200: {description: "Vermittlungen je Partner, Kategorie, Thema, Ergebnis"}
            400: {description: Ungültige Parameter}
            403: {description: Fremde Organisation}
        """
        try:
            year, quarter, org_arg = _api_period()
            st.Quarter(year, quarter)
        except (KeyError, ValueError, st.StatisticsError):
            return self.response_400(message="year und quarter sind Pflichtangaben (Zahlen)")
        viewer = qr.Viewer.of(g.user)
        try:
            if org_arg is None and viewer.is_county:
                stats = rs.referral_statistics(year, quarter, None, county=True)
            else:
                org_id, _cw = qr.allowed_view(viewer, org_arg)
                stats = rs.referral_statistics(year, quarter, org_id)
        except qr.ReportForbiddenError as exc:
            return self.response(403, message=str(exc))
        except st.StatisticsError as exc:
            return self.response_400(message=str(exc))
        return _json(stats)

    @expose("/annual", methods=["GET"])
    @protect()
    @safe
    def annual(self) -> Response:
        """The annual evaluation of a provider (lead of the provider, county).
        ---
        get:
          summary: Jahresauswertung eines Trägers
          parameters:
          - {in: query, name: year, required: true, schema: {type: integer}}
          - {in: query, name: organisation_id, schema: {type: integer}}
          responses:
            200: {description: "Quartale, Indikatoren, Vermittlungen, Prüfung, Lücken, Gespräch"}
            400: {description: Ungültige Parameter}
            403: {description: Keine Berechtigung}
        """
        try:
            year = int(request.args["year"])
            raw_org = request.args.get("organisation_id")
            org_arg = int(raw_org) if raw_org not in (None, "") else None
            st.Quarter(year, 1)
        except (KeyError, ValueError, st.StatisticsError):
            return self.response_400(message="year ist Pflichtangabe (Zahl)")
        try:
            org_id = allowed_annual(qr.Viewer.of(g.user), org_arg)
            ev = annual_evaluation(org_id, year)
        except qr.ReportForbiddenError as exc:
            return self.response(403, message=str(exc))
        except st.StatisticsError as exc:
            return self.response_400(message=str(exc))
        return _json(ev)


def _api_period() -> tuple[int, int, int | None]:
    year = int(request.args["year"])
    quarter = int(request.args["quarter"])
    raw_org = request.args.get("organisation_id")
    return year, quarter, int(raw_org) if raw_org not in (None, "") else None


def _json(data: Any) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


def register(appbuilder: AppBuilder) -> None:
    """Register the statistics views, API and menu entries."""
    appbuilder.add_view(
        StatisticsView,
        "Quartalsstatistik",
        label=_l("Quartalsstatistik"),
        icon="fa-chart-bar",
        category=matrix.MENU_STATISTICS,
        category_label=_l("Statistik"),
    )
    appbuilder.add_view(
        StatisticsReviewView,
        "Quartalsmeldungen",
        label=_l("Quartalsmeldungen"),
        icon="fa-clipboard-check",
        category=matrix.MENU_STATISTICS,
    )
    appbuilder.add_link(
        "Auswertungen",
        href="/statistics-review/charts",
        label=_l("Auswertungen"),
        icon="fa-chart-line",
        category=matrix.MENU_STATISTICS,
    )
    appbuilder.add_view(
        ReferralStatisticsView,
        matrix.MENU_REFERRALS,
        label=_l("Vermittlungen"),
        icon="fa-share-square",
        category=matrix.MENU_STATISTICS,
    )
    appbuilder.add_view(
        AnnualEvaluationView,
        matrix.MENU_ANNUAL,
        label=_l("Jahresauswertung"),
        icon="fa-calendar-check",
        category=matrix.MENU_STATISTICS,
    )
    appbuilder.add_api(StatisticsApi)

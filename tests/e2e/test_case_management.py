"""E2E: a caseworker takes a demo person from the first interview to closure, in German."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.e2e.conftest import LoginPage, axe_violations


class CasePage:
    """Page object of one case (Case Management)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def step(self) -> str:
        return str(self.page.locator("#cm-step strong").inner_text())

    def move(self, label: str, reason: str = "") -> None:
        if reason:
            self.page.fill("#transition-reason", reason)
        self.page.get_by_role("button", name=label).click()
        self.page.wait_for_load_state("networkidle")

    def save(self, label: str) -> None:
        self.page.get_by_role("button", name=label).click()
        self.page.wait_for_load_state("networkidle")
        assert "Gespeichert." in self.page.content(), self.page.content()[:3000]

    def transition_buttons(self) -> list[str]:
        return [b.strip() for b in self.page.locator(".cm-transition button").all_inner_texts()]


def _person_without_case(page: Any, base: str) -> None:
    """Open the case-management page of a demo person who has no case yet."""
    page.goto(f"{base}/personview/list/")
    hrefs = page.eval_on_selector_all(
        "a[href*='/personview/show/']", "els => els.map(e => e.getAttribute('href'))"
    )
    ids = []
    for href in hrefs:
        m = re.search(r"/show/(\d+)", href)
        if m and m.group(1) not in ids:
            ids.append(m.group(1))
    for pid in ids:
        page.goto(f"{base}/casemanagement/person/{pid}")
        button = page.get_by_role("button", name="Case Management beginnen (Erstgespräch)")
        if button.count() and "Abgeschlossene Fälle" not in page.content():
            return
    raise AssertionError("Keine Demo-Person ohne Fall gefunden")


def test_first_interview_to_closure(live_server: str, page: Any) -> None:
    """Every step in order; no skipping; closing without evaluation is refused; timeline."""
    LoginPage(page, live_server).login("fachkraft.caritas")
    _person_without_case(page, live_server)
    page.get_by_role("button", name="Case Management beginnen (Erstgespräch)").click()
    page.wait_for_load_state("networkidle")
    case = CasePage(page)
    assert case.step() == "Erstgespräch"
    # only the moves of the table are offered: no skipping to later steps
    assert case.transition_buttons() == [
        "In Case Management aufnehmen (weiter zum Assessment)",
        "Anlassbezogene Hilfe statt Case Management",
    ]
    assert axe_violations(page) == []
    case.move("In Case Management aufnehmen (weiter zum Assessment)")
    assert "Bitte zuerst das Erstgespräch" in page.content()
    assert case.step() == "Erstgespräch"

    page.fill("#first_interview-problem_situation", "Wohnungssuche, Arbeitssuche, Gesundheit")
    page.fill("#first_interview-motivation", "Hoch – möchte selbständig leben")
    page.check("#first_interview-transparency_given")
    page.select_option("#first_interview-decision", "case_management")
    case.save("Erstgespräch speichern")
    case.move("In Case Management aufnehmen (weiter zum Assessment)")
    assert case.step() == "Assessment"

    page.fill("#assessment-aspect_family_situation", "Verheiratet, zwei Kinder")
    page.fill("#assessment-aspect_language_skills", "Deutsch A2")
    case.save("Assessment speichern")
    case.move("Weiter zur Zielvereinbarung")
    assert case.step() == "Zielvereinbarung"

    target = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    page.fill("#goal-title", "Eigene Wohnung beziehen")
    page.fill("#goal-target_date", target)
    case.save("Ziel hinzufügen")
    page.fill("#goal-title", "Wohnberechtigungsschein beantragen")
    page.fill("#goal-target_date", (dt.date.today() + dt.timedelta(days=30)).isoformat())
    page.select_option("#goal-parent_id", label="Eigene Wohnung beziehen")
    case.save("Ziel hinzufügen")
    case.move("Weiter zur Hilfeplanung")
    assert case.step() == "Hilfeplanung"

    page.fill("#help_plan-tasks-0-task", "Wohnungsangebote sichten")
    page.fill("#help_plan-tasks-0-role", "Klient:in")
    page.fill("#help_plan-tasks-0-responsible_text", "Klient:in selbst")
    page.fill("#help_plan-tasks-0-resources", "Wohnungsliste der Kreiswohnungsbau")
    case.save("Hilfeplan speichern")
    case.move("Weiter zur Leistungssteuerung")
    assert case.step() == "Leistungssteuerung"

    page.fill("#service-service", "Wohnungsvermittlung")
    # the partner is found through the search, not a list of the whole directory
    page.fill("#service-partner_id-suche", "Kreiswohnungs")
    suggestion = page.locator("#service-partner_id-liste option").first
    suggestion.wait_for(state="attached")
    assert (suggestion.get_attribute("value") or "").startswith("Kreiswohnungsbau GmbH")
    page.fill("#service-partner_id-suche", suggestion.get_attribute("value") or "")
    assert page.input_value("#service-partner_id").isdigit()
    page.fill("#service-starts_on", dt.date.today().isoformat())
    page.fill("#service-standards", "Rückmeldung binnen 14 Tagen")
    case.save("Leistung speichern")
    assert "Kreiswohnungsbau GmbH" in page.locator("#service table").inner_text()
    page.fill("#conference-held_on", dt.date.today().isoformat())
    page.fill("#conference-participants", "Klient:in, Fallmanagerin, Kreiswohnungsbau")
    page.fill("#conference-outcome", "Besichtigungen vereinbart")
    case.save("Fallkonferenz speichern")
    case.move("Weiter zum Monitoring")
    assert case.step() == "Monitoring"

    page.select_option("#monitoring-goal_id", label="Eigene Wohnung beziehen")
    page.fill("#monitoring-progress", "Zwei Besichtigungen wahrgenommen")
    page.select_option("#monitoring-service_gap_topic", "housing")
    page.fill("#monitoring-service_gap", "Zu wenige Wohnungen innerhalb der KdU-Grenzen")
    case.save("Monitoring speichern")

    case.move("Abschließen")
    assert "nicht ohne Abschlussauswertung" in page.content()
    assert case.step() == "Monitoring"

    page.select_option("#closure-reason_code", "goal_reached")
    page.fill("#closure-goals_results", "Wohnung bezogen, Ziel erreicht")
    page.fill("#closure-methods_cooperation", "Gute Zusammenarbeit mit der Kreiswohnungsbau")
    page.select_option("#closure-client_satisfaction", "4")
    case.save("Auswertung speichern")
    case.move("Abschließen")
    assert case.step() == "Abgeschlossen"
    assert case.transition_buttons() == []

    entries = page.locator("#timeline li.cm-event").all_inner_texts()
    steps = [e.split(" – ")[0].strip() for e in reversed(entries)]
    assert steps == [
        "Erstgespräch",
        "Assessment",
        "Zielvereinbarung",
        "Hilfeplanung",
        "Leistungssteuerung",
        "Monitoring",
        "Abgeschlossen",
    ]
    for entry in entries:
        assert "Fatma Kaya" in entry
        # the day the step happened and when it was recorded (Europe/Berlin), never UTC
        assert re.search(r"am \d{2}\.\d{2}\.\d{4}", entry)
        assert re.search(r"erfasst \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", entry)
        assert "UTC" not in entry

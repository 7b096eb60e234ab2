"""Intake and movement across providers.

``assignment_import`` reads the county's assignment lists (Zuweisungslisten) and creates or
updates persons at the providers running the named accommodations; ``handover`` moves a case
file to another provider with documented consent; ``sharing`` shares a case file with the
specialist service (or another provider) until an end date; ``duplicates`` tells whether a
person being entered is already known at another provider (provider names only).
"""

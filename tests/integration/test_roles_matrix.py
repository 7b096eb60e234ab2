"""The roles × permissions in the database equal the matrix in code."""

from __future__ import annotations

import pytest
from flask import Flask

from app.security import matrix


@pytest.mark.parametrize("role", matrix.MSA_ROLES)
def test_database_permissions_equal_matrix(app: Flask, role: str) -> None:
    """After `msa init` every MSA role has exactly the permissions of the matrix."""
    with app.app_context():
        in_db = app.appbuilder.sm.role_permission_pairs(role)
    assert in_db == set(matrix.permissions_for(role))


def test_matrix_names_exist_as_views_or_menus(app: Flask) -> None:
    """Every view/menu named in the matrix is registered, so no permission is dead."""

    def menu_names(items: list) -> set[str]:
        out: set[str] = set()
        for item in items:
            out.add(item.name)
            out |= menu_names(item.childs or [])
        return out

    names = {v.class_permission_name for v in app.appbuilder.baseviews}
    names |= menu_names(app.appbuilder.menu.get_list())
    wanted = {view for role in matrix.MSA_ROLES for _, view in matrix.permissions_for(role)}
    assert wanted <= names, wanted - names


def test_sync_is_idempotent(app: Flask) -> None:
    """Running the sync twice changes nothing."""
    from app.services.setup import sync_security_and_catalogues

    with app.app_context():
        before = {r: app.appbuilder.sm.role_permission_pairs(r) for r in matrix.ALL_ROLES}
        result = sync_security_and_catalogues()
        after = {r: app.appbuilder.sm.role_permission_pairs(r) for r in matrix.ALL_ROLES}
    assert before == after
    assert result["catalogue_entries"] == 0


def test_county_admin_has_no_case_content() -> None:
    """The Kreis-Admin configures, but reads no case files (DOMAIN.md roles)."""
    pairs = matrix.permissions_for(matrix.ROLE_COUNTY_ADMIN)
    for resource in (matrix.PERSON, matrix.CONTACT_NOTE, matrix.SENSITIVE):
        assert ("can_read", resource) not in pairs

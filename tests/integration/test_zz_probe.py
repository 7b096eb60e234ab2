from tests.integration.test_page_statement_walk import ACCOUNTS, _clients_for, _load
from tests.integration.test_page_text_walk import visible_text
def test_x(app):
    focus=_load(app)
    for user, urls in [("kreisadmin", ["/accommodationview/list/", "/accommodationview/show/1", "/accommodationview/edit/1"]),
                       ("datenschutz", ["/accesslogview/list/", "/verwaltungsprotokoll/", "/datenschutz/protokoll"]),
                       ("admin", ["/verwaltungsprotokoll/", "/"])]:
        b,_=_clients_for(app,user)
        for u in urls:
            r=b.get(u)
            t=visible_text(r.get_data(as_text=True))
            print("=====", user, u, r.status_code)
            print(" | ".join(t)[:2500])

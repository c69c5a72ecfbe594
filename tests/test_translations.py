"""French and English from the first line: every string has its French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "teaminbox" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_strings() -> set[str]:
    found: set[str] = set()
    methods = [("teaminbox/**.py", "python"), ("templates/**.html", "jinja2")]
    for _, _, message, _, _ in extract_from_dir(str(ROOT), methods, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_string_of_the_code_is_translated_to_french() -> None:
    with CATALOG.open("rb") as file:
        catalog = read_po(file, locale="fr")
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and all(m.string) and "fuzzy" not in m.flags
    }
    strings = source_strings()
    assert len(strings) > 40
    assert sorted(strings - translated) == []


def test_the_browser_language_chooses_the_ui(client: FlaskClient) -> None:
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Connexion à la boîte partagée" in french.get_data(as_text=True)
    assert '<html lang="fr">' in french.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-US"})
    assert "Log in to the team inbox" in english.get_data(as_text=True)


def test_a_chosen_language_wins_over_the_browser(alice: FlaskClient) -> None:
    page = alice.get("/folders/INBOX", headers={"Accept-Language": "en"}).get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    alice.post(
        "/preferences/language",
        data={"language": "fr", "csrf_token": token, "next": "/folders/INBOX"},
    )
    page = alice.get("/folders/INBOX", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Dossiers" in page and "Se déconnecter" in page
    alice.post("/preferences/language", data={"language": "xx", "csrf_token": token})
    page = alice.get("/folders/INBOX", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log out" in page

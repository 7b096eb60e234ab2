"""The German texts of the portal's templates go through the catalogue without ``_()`` on each.

:class:`TemplateTexts` is a Jinja extension whose ``preprocess`` wraps, before a template of
``app/templates`` is compiled,

- every text node with letters (``<dt>Geburtsdatum</dt>`` → ``{{ _("Geburtsdatum") }}``),
- the static ``title``, ``aria-label``, ``placeholder``, ``alt`` and ``data-mark`` attributes,
- string literals in ``{{ … }}`` / ``{% … %}`` that read as text: starting with a capital letter,
  without ``_ . / % # = < {`` (``m.dl_row("Aktenzeichen", …)``, ``"Person" if n == 1 else
  "Personen"``); never a literal compared (``==``, ``!=``, ``in``), a dictionary key or an
  argument already translated.

Skipped: ``<script>``, ``<style>``, ``<pre>``, ``<textarea>``, HTML and Jinja comments,
``{% raw %}``, texts with ``%``. Whitespace inside a text is folded to one space (the msgid).
A template that contains ``{# msa: nur deutsch #}`` stays German in every language (the letters
to clients, the page in Leichte Sprache).

``babel.cfg`` loads the same extension for ``make translations``, so extraction sees exactly
the wrapped texts. German renders unchanged (a German msgid without ``msgstr`` is itself).
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2.ext import Extension

TEMPLATES = str(Path(__file__).resolve().parent / "templates")

_OPAQUE = re.compile(
    r"""
    (?P<raw>\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\})
  | (?P<jcomment>\{\#.*?\#\})
  | (?P<expr>\{\{.*?\}\})
  | (?P<stmt>\{%.*?%\})
  | (?P<hcomment><!--.*?-->)
  | (?P<verbatim><(script|style|pre|textarea)\b(?:[^>{]|\{\{.*?\}\}|\{%.*?%\}|\{)*?>.*?</\7\s*>)
  | (?P<tag></?(?:[A-Za-z!]|(?=\{\{))(?:[^>{]|\{\{.*?\}\}|\{%.*?%\}|\{\#.*?\#\}|\{(?![{%\#]))*>)
    """,
    re.S | re.X,
)
_ATTR = re.compile(
    r'(\s(?:title|aria-label|placeholder|alt|data-mark)=)"([^"{}%]*[A-Za-zÄÖÜäöüß][^"{}%]*)"'
)
_LITERAL = re.compile(r"""(?P<q>["'])(?P<s>(?:(?!(?P=q))[^\\\n])*)(?P=q)""")
_TEXTLIKE = re.compile(r"^[A-ZÄÖÜ„(](?:[^_%#=<{}\\]* [^_%#=<{}\\]*|[^_./%#=<{}\\]*)$")
#: a lower-case literal reads as text with a space (and no dash: not CSS classes) or an umlaut
_LOWER_TEXT = re.compile(
    r"^(?:ja|nein|[a-zäöüß][^_./%#=<{}\\-]* [^_./%#=<{}\\-]*|[a-z]*[äöüß][a-zäöüß]*)$"
)
_LETTERS = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")
_ENTITY = re.compile(r"&#?\w+;")
#: a literal that names something rather than says it: an argument of these calls, a CamelCase word
_NAMING_CALL = re.compile(
    r"(?:has_access|url_for|permission\w*|get_template|include|import)\([^()]*$"
)
#: ``{% set _ = list.append(x) %}`` would hide ``_()`` for the rest of the template
_SET_UNDERSCORE = re.compile(r"^(\{%-?\s*set\s+)_(\s*=)")
_CAMEL = re.compile(r"^[A-Z][a-z0-9]+[A-Z]\w*$")


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _call(text: str) -> str:
    return "{{ _(" + _literal(text) + ") }}"


def _wrap_text(text: str) -> str:
    core = " ".join(text.split())
    if not core or "%" in core or not _LETTERS.search(_ENTITY.sub(" ", core)):
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead + _call(core) + trail


def _wrap_attrs(tag: str) -> str:
    return _ATTR.sub(lambda m: f'{m.group(1)}"{_call(" ".join(m.group(2).split()))}"', tag)


def _wrap_literals(code: str) -> str:
    def one(m: re.Match[str]) -> str:
        text = m.group("s")
        if not (_TEXTLIKE.match(text) or _LOWER_TEXT.match(text)):
            return m.group(0)
        if not _LETTERS.search(text) or _CAMEL.match(text):
            return m.group(0)
        if _NAMING_CALL.search(code[: m.start()]):
            return m.group(0)
        before = code[: m.start()].rstrip()
        after = code[m.end() :].lstrip()
        if before.endswith(("==", "!=", " in", "_(", "gettext(", "[", "is")) or after.startswith(
            (":", "==", "!=", "in ", "]")
        ):
            return m.group(0)
        return "_(" + m.group(0) + ")"

    return _LITERAL.sub(one, code)


#: a template that stays German in every language (a letter to a client, Leichte Sprache)
GERMAN_ONLY = "{# msa: nur deutsch #}"


def wrap_template(source: str) -> str:
    """The template source with its German texts wrapped in ``_()`` (see module docstring)."""
    if GERMAN_ONLY in source:
        return source
    out: list[str] = []
    pos = 0
    for m in _OPAQUE.finditer(source):
        out.append(_wrap_text(source[pos : m.start()]))
        kind = m.lastgroup
        part = m.group(0)
        if kind == "tag":
            part = _wrap_attrs(part)
        elif kind in ("expr", "stmt"):
            part = _wrap_literals(_SET_UNDERSCORE.sub(r"\1_msa_unused\2", part))
        out.append(part)
        pos = m.end()
    out.append(_wrap_text(source[pos:]))
    return "".join(out)


class TemplateTexts(Extension):
    """Jinja extension: wrap the German texts of the portal's templates (module docstring)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if filename is None and name is not None:
            return source  # a template not read from a file of ours
        if filename is not None and not filename.startswith(TEMPLATES):
            return source  # Flask-AppBuilder's own templates use _() already
        return wrap_template(source)

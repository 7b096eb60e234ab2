"""Redirect targets taken from a request: normalised first, then only a same-origin path.

A browser reads a ``Location`` as the URL standard says: it drops leading and trailing C0
control characters and spaces, removes every tab and newline, and treats ``\\`` like ``/``.
So ``/\\t/evil`` or ``/\\\\evil`` is ``//evil`` to the browser — another host. The target is
therefore normalised the same way *before* it is checked, and only a path on this site
(``/…``, never ``//…``, no scheme, no host) is accepted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_AND_NEWLINE = {ord("\t"): None, ord("\n"): None, ord("\r"): None}


def normalise(raw: str) -> str:
    """The target as a browser would read it (URL standard, basic URL parser)."""
    text = (raw or "").strip(_C0_AND_SPACE).translate(_TAB_AND_NEWLINE)
    return text.replace("\\", "/")


def local_target(raw: str | None, fallback: str) -> str:
    """``raw`` normalised when it is a path on this site, else ``fallback``."""
    target = normalise(raw or "")
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target

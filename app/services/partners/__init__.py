"""Network partner directory (Netzwerkpartner, R-6.1): filtered lists for clients, as PDF."""

from app.services.partners.directory import (
    DIRECTORY_LIMIT,
    DirectoryFilter,
    directory_context,
    directory_entries,
    directory_pdf,
)

__all__ = [
    "DIRECTORY_LIMIT",
    "DirectoryFilter",
    "directory_context",
    "directory_entries",
    "directory_pdf",
]

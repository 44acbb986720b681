"""Typed errors of the model manager, each carrying a message code from core/i18n.py.

They share the base of every error a person can meet (core/errors.py): the caller branches
on the type and shows ``error.message(translator)`` in the person's language; the parameters
are already formatted for people (sizes as "9.1 GB"), so the message needs no more work.
"""

from __future__ import annotations

from core.errors import FiresideError


class ModelsError(FiresideError):
    """Base of everything the model manager reports. ``code`` keys the message catalogue."""


class CatalogueError(ModelsError):
    """The catalogue data file is missing or has a bad entry (a packaging fault)."""


class BadRequest(ModelsError):
    """A repository name, file name or endpoint the person gave is not acceptable."""


class HubError(ModelsError):
    """The Hub (or mirror) could not be reached or refused the request."""


class HubTransient(HubError):
    """The connection failed or dropped, or the server was busy (5xx, 429): worth a retry."""


class HubNotFound(HubError):
    """No such repository or no such file in it (HTTP 404)."""


class HubAuthRequired(HubError):
    """A gated or private repository needs a token, or the token was refused (401/403)."""


class DownloadError(ModelsError):
    """A download could not finish; the partial file is kept for a resume unless said so."""


class NotEnoughSpace(DownloadError):
    """Refused before any byte was written: the disk has too little free space."""


class ChecksumMismatch(DownloadError):
    """The downloaded bytes do not match the Hub's sha256; the file was deleted."""


class DownloadPaused(DownloadError):
    """The person paused (or pressed Ctrl-C); the partial file stays for a resume."""


class DownloadCancelled(DownloadError):
    """The person cancelled; the partial file was deleted."""


class DownloadBusy(DownloadError):
    """Another Fireside process is downloading the same file right now."""


class RegistryError(ModelsError):
    """An installed-model operation failed (unknown id, file gone, not a model)."""


class WontFit(ModelsError):
    """The model needs more memory than this computer has."""


class TokenStoreError(ModelsError):
    """The system keyring refused to store or remove the token."""

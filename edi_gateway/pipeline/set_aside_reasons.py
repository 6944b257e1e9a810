"""Why a flux is set aside without the engine: the reasons and the checks that find them.

Each reason is ``(rule id, CPP reason code or None, message in French | English)``; a None
code makes the 93 flux report an incident (``IN_INCIDENTE``, :data:`INCIDENT_COMMENT`), not a
verdict on the file's content. Used by :mod:`edi_gateway.pipeline.recovery` (which sets aside)
and the daemon (which checks a claim before handing it to a worker).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

Reason = tuple[str, str | None, str]

SYMLINK: Reason = (
    "GW-DAEMON-01",
    "IRR_TYPE_F",
    "lien symbolique : jamais suivi, mis de côté | EN: symbolic link: never followed, set aside",
)
NOT_REGULAR: Reason = (
    "GW-DAEMON-02",
    "IRR_TYPE_F",
    "pas un fichier ordinaire (FIFO, socket, périphérique ...) | EN: not a regular file "
    "(FIFO, socket, device ...)",
)
FAILED: Reason = (
    "GW-DAEMON-03",
    None,
    "incident de traitement de la passerelle à chaque tentative ; merci de redéposer le flux "
    "| EN: processing failed on every attempt; please send it again",
)
LOST: Reason = (
    "GW-DAEMON-04",
    None,
    "original absent de var/work ; merci de redéposer le flux | EN: original missing from "
    "var/work; please send it again",
)
UNREADABLE: Reason = (
    "GW-DAEMON-05",
    None,
    "fichier illisible par la passerelle (droits d'accès) ; corrigez ses droits et redéposez-le "
    "| EN: the gateway may not read this file (permissions); fix its mode and send it again",
)
#: ``Commentaire`` of a flux the gateway itself could not process (no ``IRR_*`` reason): an
#: incident (CPP deposit-flux state ``IN_INCIDENTE``), not a verdict on the file's content.
INCIDENT_COMMENT = (
    "Incident de traitement (IN_INCIDENTE) : la passerelle n'a pas pu traiter ce flux ; "
    "merci de le redéposer | EN: processing incident: the gateway could not process this flux; "
    "please send it again"
)


def why_not_regular(path: Path) -> Reason | None:
    """The set-aside reason for a path that is not a regular file, or None when it is one."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return SYMLINK
    return None if stat.S_ISREG(mode) else NOT_REGULAR


def why_unusable(path: Path) -> tuple[Reason, str] | None:
    """``(set-aside reason, detail)`` for a claimed path the engine cannot use, else None.

    Not a regular file (:func:`why_not_regular`), or a regular file the gateway may not open
    for reading (``EACCES``/``EPERM``, e.g. mode 000): :data:`UNREADABLE`, with the system's
    message as detail. A path that vanished is None (the caller's lost-file check sees it)."""
    why = why_not_regular(path)
    if why is not None:
        return why, ""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        os.close(os.open(path, flags))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return UNREADABLE, exc.strerror or str(exc)
    return None

"""Rotating log files in the user log folder, with no protected health information in them.

`configure_logging(level)` (called by the app and the CLI at start) writes `iopdesk.log` in
`paths.log_dir()` (1 MB per file, 5 old files kept), one line per record: time, level, module,
message. Log lines name rows by id (UUID) and give counts; they never carry a client's name, MRN,
date of birth or note text. `PhiFilter` enforces it on every line that reaches the file: MRN-shaped
text (SITE-000123), dates (any could be a date of birth) and every string registered with
`register_phi` (e.g. the names of clients loaded this session) are replaced by a placeholder, in the
message, its arguments and any traceback. Other libraries' records below WARNING are dropped (the
database driver's debug lines carry query parameters).
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

MAX_BYTES = 1_000_000
BACKUPS = 5
FILE_NAME = "iopdesk.log"
FORMAT = "%(asctime)s %(levelname)s %(module)s: %(message)s"
OUR_LOGGERS = ("iopdesk", "reports", "ui")

MRN = re.compile(r"\b[A-Z][A-Z0-9]{0,7}-\d{3,}\b")
DATE = re.compile(r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4})\b")
_registered: set[str] = set()
_registered_pattern: list[re.Pattern | None] = [None]


def register_phi(*values: object) -> None:
    """Strings that must never reach a log line this session (names, MRNs): cheap, call freely.
    Values shorter than 3 characters are ignored (they would blank ordinary words)."""
    added = False
    for value in values:
        text = " ".join(str(value or "").split())
        if len(text) >= 3 and text.lower() not in _registered:
            _registered.add(text.lower())
            added = True
    if added:
        _registered_pattern[0] = None


def redact(text: str) -> str:
    """`text` with MRNs, dates and registered strings replaced by placeholders."""
    text = MRN.sub("[mrn]", text)
    text = DATE.sub("[date]", text)
    if _registered:
        pattern = _registered_pattern[0]
        if pattern is None:
            words = sorted(_registered, key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
            _registered_pattern[0] = pattern
        text = pattern.sub("[phi]", text)
    return text


class PhiFilter(logging.Filter):
    """Redacts every record before it is written; drops other libraries' chatter below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(OUR_LOGGERS) and record.levelno < logging.WARNING:
            return False
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _Handler(RotatingFileHandler):
    """Marks the handler this module installed, so configuring again replaces it."""


def configure_logging(level: int = logging.INFO, folder: str | Path | None = None) -> Path:
    """Send log records at `level` and above to the rotating file in `folder` (default: the user
    log folder); returns the log file's path. Calling it again replaces the earlier set-up. A folder
    that cannot be created leaves logging off rather than stopping the program."""
    from iopdesk.paths import log_dir

    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(handler)
        handler.close()
    target = Path(folder) if folder is not None else log_dir()
    path = target / FILE_NAME
    try:
        target.mkdir(parents=True, exist_ok=True)
        handler = _Handler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        return path
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(PhiFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
    return path


"""Access log file
================

The direct output of :mod:`wsgikit.middleware.access_log`: each line appended to a file with one
``write(2)`` on a descriptor opened with ``O_APPEND``, the way Apache, nginx and gunicorn write their
access logs. Compared with a :class:`logging.FileHandler` this

* costs a fraction (no record, no handler chain, no formatter, no buffered text stream and flush);
* keeps lines whole when several processes (gunicorn or uWSGI workers) append to one file, since one
  ``O_APPEND`` write of a line is never interleaved with another process's line;
* follows log rotation: at most once a second the path is compared with the open file (device and
  inode), and a file that was moved away or deleted is reopened, like
  :class:`logging.handlers.WatchedFileHandler` does on every line.

``-`` (or ``stdout``) and ``stderr`` name the process's standard streams, written the same way
(unbuffered, so lines are not held back behind Python's ``sys.stdout`` buffer).

A line that cannot be written (disk full, permissions changed) is not lost silently: it is reported on
``sys.stderr`` together with the error.
"""

from __future__ import annotations

import os
import sys

__all__ = ["STANDARD_STREAMS", "LogFile"]

#: names of the standard streams and their descriptors
STANDARD_STREAMS = {"-": 1, "stdout": 1, "stderr": 2}

_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class LogFile:
    """Lines appended to ``path`` (or a standard stream), one ``write(2)`` each.

    :param path: a file path (created if missing, with the permissions ``open()`` would give it), or
        ``-``/``stdout``/``stderr``.
    :raises OSError: when the file cannot be opened, so a misconfiguration shows at start-up.
    """

    def __init__(self, path: str) -> None:
        standard = STANDARD_STREAMS.get(path)
        # opened before anything is set, so a failed open leaves nothing for __del__ to close
        self.fd = os.open(path, _FLAGS, 0o666) if standard is None else standard
        self.owned = standard is None
        self.path = path
        self._checked = 0  # the second of the last rotation check

    def write(self, line: str, now: float) -> None:
        """Append ``line`` and a newline; ``now`` (``time.time()``) paces the rotation check."""
        try:
            data = (line + "\n").encode()
        except UnicodeEncodeError:  # a lone surrogate, which no line wsgikit renders contains
            data = (line + "\n").encode("utf-8", "backslashreplace")
        try:
            if int(now) != self._checked and self.owned:
                self._checked = int(now)
                self._follow_rotation()
            # No lock: one write(2) is atomic, and a reopen never changes the descriptor's number
            # (see _reopen), so a thread holding it writes to the old file or the new one, both whole.
            fd = self.fd
            written = os.write(fd, data)
            while written < len(data):  # a pipe or terminal may take less than all of it
                data = data[written:]
                written = os.write(fd, data)
        except OSError as error:
            message = f"wsgikit access_log: cannot write to {self.path}: {error}; the line was: {line}\n"
            sys.stderr.write(message)

    def reopen(self) -> None:
        """Open the path afresh (what the once-a-second check does after a rotation)."""
        if self.owned:
            self._reopen()

    def close(self) -> None:
        """Close the file (the standard streams stay open); call it when no response is in flight.
        Later lines are reported on stderr."""
        if self.owned and self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def _follow_rotation(self) -> None:
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            self._reopen()
            return
        opened = os.fstat(self.fd)
        if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
            self._reopen()

    def _reopen(self) -> None:
        fd = os.open(self.path, _FLAGS, 0o666)
        if self.fd < 0:
            self.fd = fd
            return
        # dup2() points the descriptor already in use at the new file in one step: a concurrent
        # write goes to one file or the other, and a closed number can never be written to
        os.dup2(fd, self.fd, inheritable=False)
        os.close(fd)

    def __del__(self) -> None:
        if hasattr(self, "owned") and self.owned and self.fd >= 0:
            os.close(self.fd)

    def __repr__(self) -> str:
        return f"<LogFile {self.path!r}>"

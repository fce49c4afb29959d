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

With ``buffer`` (bytes, off by default) lines are collected in memory and written together, the trade
nginx offers as ``access_log ... buffer=size flush=time``: one ``write(2)`` per buffer instead of per line.
A buffer is written when the next line would not fit, when its oldest line is ``flush`` seconds old (a
timer thread per process looks once per ``flush``; the next line written looks too), before a reopen,
at :meth:`LogFile.close` and at interpreter exit. The price: lines of a process killed with ``SIGKILL``
(or ``os._exit()``) that were still in its buffer are lost, and a line reaches the file up to ``flush``
seconds after its response. A forked child (a gunicorn or uWSGI worker) starts with an empty buffer of
its own; the parent's lines are the parent's to write.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import weakref

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

    def __init__(self, path: str, *, buffer: int = 0, flush: float = 1.0) -> None:
        if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 0:
            raise ValueError(f"buffer: expected a number of bytes (0 or more), got {buffer!r}")
        if isinstance(flush, bool) or not isinstance(flush, int | float) or not 0 < flush < 86400:
            raise ValueError(f"flush: expected a number of seconds above 0 (and below a day), got {flush!r}")
        standard = STANDARD_STREAMS.get(path)
        # opened before anything is set, so a failed open leaves nothing for __del__ to close
        self.fd = os.open(path, _FLAGS, 0o666) if standard is None else standard
        self.owned = standard is None
        self.path = path
        self._checked = 0  # the second of the last rotation check
        #: bytes of lines held in memory before they are written together (0: each line written at once)
        self.buffer = buffer
        #: seconds a buffered line may wait
        self.flush = float(flush)
        self._pending: list[bytes] = []
        self._size = 0
        self._oldest = 0.0  # time.monotonic() when the oldest pending line was added
        self._lock = threading.Lock()
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        self._open = True
        if buffer:
            _buffered.add(self)

    def write(self, line: str, now: float) -> None:
        """Append ``line`` and a newline; ``now`` (``time.time()``) paces the rotation check."""
        try:
            data = (line + "\n").encode()
        except UnicodeEncodeError:  # a lone surrogate, which no line wsgikit renders contains
            data = (line + "\n").encode("utf-8", "backslashreplace")
        if self.buffer and self._open:
            self._hold(data, now)
        else:
            self._write(data, now)

    def _write(self, data: bytes, now: float, follow: bool = True) -> None:
        try:
            if follow and int(now) != self._checked and self.owned:
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
            lines = data.decode("utf-8", "backslashreplace").rstrip("\n")
            message = f"wsgikit access_log: cannot write to {self.path}: {error}; the line was: {lines}\n"
            sys.stderr.write(message)

    def _hold(self, data: bytes, now: float) -> None:
        with self._lock:
            if not self._open:  # closed (or the process is exiting) since write() looked: nothing would
                self._write(data, now)  # write a line held now
                return
            if self._pending and (
                self._size + len(data) > self.buffer or time.monotonic() - self._oldest >= self.flush
            ):
                self._write_pending(now)
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(data)
            self._size += len(data)
            if self._size >= self.buffer:  # a line as big as the buffer goes out at once
                self._write_pending(now)
            elif self._timer is None and not self._stop.is_set():
                self._start_timer()

    def _write_pending(self, now: float, follow: bool = True) -> None:
        """Write the buffered lines in one call (the lock is held); ``follow``: check for a rotation first,
        at most once a second."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending = []
            self._size = 0
            self._write(data, now, follow)

    def drain(self) -> None:
        """Write the buffered lines now (nothing to do without ``buffer``)."""
        if self.buffer:
            with self._lock:
                self._write_pending(time.time())

    def _start_timer(self) -> None:
        # started by the first buffered line of each process, so a gunicorn master that loads the app and
        # forks its workers has no thread to fork; a daemon, so it never holds the interpreter's exit
        # (atexit drains the buffers)
        timer = threading.Thread(
            target=_drain_periodically,
            args=(weakref.ref(self), self._stop, self.flush),
            name=f"wsgikit-logfile-flush {self.path}",
            daemon=True,
        )
        self._timer = timer
        timer.start()

    def _stop_buffering(self, join: bool = True) -> None:
        """Stop the timer thread and write the buffer; later lines are written at once. ``join=False`` (at
        exit) does not wait for the thread: in a uWSGI worker stopping on a signal the thread never runs
        again, so a join would never return."""
        self._open = False
        self._stop.set()
        timer = self._timer
        if join and timer is not None and timer is not threading.current_thread():
            timer.join()
        if self.buffer:
            # at exit, a thread stopped for good while holding the lock must not keep these lines back
            locked = self._lock.acquire(timeout=-1 if join else 1.0)
            try:
                self._write_pending(time.time())
            finally:
                if locked:
                    self._lock.release()

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread and buffered lines stayed with the parent."""
        # the parent's lock, and the lock inside its Event, may have been held by its timer thread, which
        # is not here
        self._lock = threading.Lock()
        stopped = self._stop.is_set()
        self._stop = threading.Event()
        if stopped:
            self._stop.set()
        self._pending = []
        self._size = 0
        self._timer = None

    def reopen(self) -> None:
        """Open the path afresh (what the once-a-second check does after a rotation); buffered lines are
        written to the file that was open first."""
        if self.owned:
            if self.buffer:
                with self._lock:
                    self._write_pending(time.time(), follow=False)
            self._reopen()

    def close(self) -> None:
        """Write the buffered lines and close the file (the standard streams stay open); call it when no
        response is in flight. Later lines are reported on stderr."""
        self._stop_buffering()
        _buffered.discard(self)
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
        if getattr(self, "_pending", None):
            self._stop.set()
            self._write_pending(time.time())
        if hasattr(self, "owned") and self.owned and self.fd >= 0:
            os.close(self.fd)

    def __repr__(self) -> str:
        return f"<LogFile {self.path!r}>"


_buffered: weakref.WeakSet[LogFile] = weakref.WeakSet()
"""The files with a buffer in this process: drained at exit, reset in a forked child."""


def _drain_periodically(ref: weakref.ref[LogFile], stop: threading.Event, interval: float) -> None:
    """The timer thread of one buffered file: writes its lines once the oldest is ``interval`` seconds
    old, until the file is closed or collected (the thread holds the file only while it looks at it)."""
    wait = interval
    while not stop.wait(wait):
        log = ref()
        if log is None:
            return
        with log._lock:
            now = time.monotonic()
            if log._pending and now - log._oldest >= interval:
                log._write_pending(time.time())
            # the next look: when the oldest line now held is due (never later than a whole interval)
            wait = max(log._oldest + interval - now, 0.001) if log._pending else interval
        del log


def _drain_all() -> None:
    # At exit: the timer threads are told to stop (not joined: see _stop_buffering), the buffers are
    # written, and any line logged after this is written at once.
    for log in list(_buffered):
        log._stop_buffering(join=False)


def _forget_in_child() -> None:
    for log in list(_buffered):
        log._after_fork()


atexit.register(_drain_all)
os.register_at_fork(after_in_child=_forget_in_child)

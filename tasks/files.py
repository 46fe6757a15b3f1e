"""Reading the files an office names (evidence, survey and LPA exports, events, input files): regular files
only, never through a symbolic link, never a device, a FIFO or a /proc file, and never more than a bound.

Every reader of a user-named file goes through `open_regular` / `read_regular`, so the checks cannot be
skipped by one path and not another (a symlink to /proc/self/environ once copied the SMTP password into
the evidence store).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from kpi6.models.errors import InputError

MB = 1024 * 1024


def _describe(path: Path) -> str:
    """The path as a terminal can show it: control characters escaped (a name may carry ESC sequences)."""
    text = str(path)
    return text if text.isprintable() else ascii(text)


def open_regular(path: Path | str, *, what: str) -> BinaryIO:
    """Open a user-named file for reading: it must be a regular file reached without any symbolic link."""
    path = Path(path).expanduser()
    absolute = Path(os.path.abspath(path))
    if os.path.realpath(absolute) != str(absolute):
        raise InputError(f"{what}: {_describe(path)} is or passes through a symbolic link; give the file itself")
    # O_NOFOLLOW closes the race between the check above and the open; O_NONBLOCK keeps a FIFO from hanging.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(absolute, flags)
    except FileNotFoundError:
        raise InputError(f"{what}: file not found: {_describe(path)}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: {_describe(path)} is a folder, not a file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{what}: {_describe(path)} is a symbolic link; give the file itself") from None
        raise InputError(f"{what}: cannot read {_describe(path)}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what}: {_describe(path)} is not a regular file")
        if str(absolute).startswith(("/proc/", "/sys/", "/dev/")):
            raise InputError(f"{what}: {_describe(path)} is a system file, not an office's file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path | str, *, what: str, max_bytes: int) -> bytes:
    """The whole content of a user-named regular file, refused (before reading it all) above `max_bytes`."""
    with open_regular(path, what=what) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise InputError(f"{what}: {Path(path).name} is {size / MB:.1f} MB; the limit is {max_bytes / MB:g} MB")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while being read
        raise InputError(f"{what}: {Path(path).name} is over the limit of {max_bytes / MB:g} MB")
    return data


__all__ = ["MB", "open_regular", "read_regular"]

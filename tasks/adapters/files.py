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


def _system_devices() -> frozenset[int]:
    """The devices of /proc and /sys, so their files are known by what they are, not only by their path."""
    found: set[int] = set()
    for root in ("/proc", "/sys"):
        try:
            found.add(os.stat(root).st_dev)
        except OSError:
            pass
    return frozenset(found)


_SYSTEM_DIRS = ("/proc/", "/sys/", "/dev/")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# O_PATH opens a folder for walking through it without needing the right to list it.
_DIR_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# O_NOFOLLOW refuses a last component that is a symlink; O_NONBLOCK keeps a FIFO from hanging the open.
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC


def _open_walking(absolute: Path) -> int:
    """Open `absolute` one component at a time, each from its parent's descriptor and without following a
    symlink, so a folder on the way swapped for a symlink after the realpath check is refused, not followed."""
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:  # pragma: no cover - not Linux or macOS
        return os.open(absolute, _FILE_FLAGS)
    if len(absolute.parts) < 2:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))  # the root folder itself
    *folders, name = absolute.parts
    fd = os.open(folders[0], _DIR_FLAGS)
    try:
        for folder in folders[1:]:
            try:
                inner = os.open(folder, _DIR_FLAGS, dir_fd=fd)
            except NotADirectoryError:
                if stat.S_ISLNK(os.stat(folder, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None  # a symlink where a folder was
                raise
            os.close(fd)
            fd = inner
        return os.open(name, _FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def open_regular(path: Path | str, *, what: str) -> BinaryIO:
    """Open a user-named file for reading: it must be a regular file reached without any symbolic link."""
    path = Path(path).expanduser()
    absolute = Path(os.path.abspath(path))
    if os.path.realpath(absolute) != str(absolute):
        raise InputError(f"{what}: {_describe(path)} is or passes through a symbolic link; give the file itself")
    if str(absolute).startswith(_SYSTEM_DIRS):  # refused before the open: opening a device can act on it
        raise InputError(f"{what}: {_describe(path)} is a system file, not an office's file")
    try:
        fd = _open_walking(absolute)
    except FileNotFoundError:
        raise InputError(f"{what}: file not found: {_describe(path)}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: {_describe(path)} is a folder, not a file") from None
    except NotADirectoryError:
        raise InputError(f"{what}: file not found: {_describe(path)} (a part of it is a file, not a folder)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{what}: {_describe(path)} is or passes through a symbolic link; give the file itself"
            ) from None
        raise InputError(f"{what}: cannot read {_describe(path)}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what}: {_describe(path)} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what}: {_describe(path)} is not a regular file")
        if st.st_dev in _system_devices():
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

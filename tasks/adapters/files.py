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
from typing import Any, BinaryIO, TextIO

import yaml

from kpi6.models.errors import InputError, Kpi6Error

MB = 1024 * 1024


def describe(path: Path) -> str:
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


def open_regular(path: Path | str, *, what: str, follow_links: bool = False) -> BinaryIO:
    """Open a user-named file for reading: it must be a regular file reached without any symbolic link.
    `follow_links` is for DLA's own configuration (rounds, topics, contacts), which an administrator may link
    into place: the link is resolved first, and what it leads to must still be a regular, non-system file."""
    path = Path(path).expanduser()
    absolute = Path(os.path.realpath(path) if follow_links else os.path.abspath(path))
    if os.path.realpath(absolute) != str(absolute):
        raise InputError(f"{what}: {describe(path)} is or passes through a symbolic link; give the file itself")
    if str(absolute).startswith(_SYSTEM_DIRS):  # refused before the open: opening a device can act on it
        raise InputError(f"{what}: {describe(path)} is a system file, not an office's file")
    try:
        fd = _open_walking(absolute)
    except FileNotFoundError:
        raise InputError(f"{what}: file not found: {describe(path)}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: {describe(path)} is a folder, not a file") from None
    except NotADirectoryError:
        raise InputError(f"{what}: file not found: {describe(path)} (a part of it is a file, not a folder)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{what}: {describe(path)} is or passes through a symbolic link; give the file itself"
            ) from None
        raise InputError(f"{what}: cannot read {describe(path)}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what}: {describe(path)} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what}: {describe(path)} is not a regular file")
        if st.st_dev in _system_devices():
            raise InputError(f"{what}: {describe(path)} is a system file, not an office's file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_for_writing(path: Path | str, *, what: str) -> TextIO:
    """Create or replace a file kpi6 writes beside a user-named one (the survey's rejected rows), as UTF-8 text
    with a byte-order mark: never through a symbolic link (it would overwrite whatever the link names), never
    into a FIFO or a device; an existing regular file is replaced."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{what}: {describe(path)} is a symbolic link; remove it or move the file") from None
        raise InputError(f"{what}: cannot write {describe(path)}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{what}: {describe(path)} exists and is not a regular file")
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
        return open(fd, "w", encoding="utf-8-sig", newline="")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path | str, *, what: str, max_bytes: int, follow_links: bool = False) -> bytes:
    """The whole content of a user-named regular file, refused (before reading it all) above `max_bytes`."""
    with open_regular(path, what=what, follow_links=follow_links) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise InputError(f"{what}: {Path(path).name} is {size / MB:.1f} MB; the limit is {max_bytes / MB:g} MB")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while being read
        raise InputError(f"{what}: {Path(path).name} is over the limit of {max_bytes / MB:g} MB")
    return data


# A YAML file kpi6 reads (an office's inputs or events, DLA's rounds, topics and contacts) is a page or a few;
# the bound keeps /dev/zero, a log file given by mistake or a huge paste from eating the machine's memory.
YAML_FILE_MAX_MB = 5
# Values YAML aliases (*name) may repeat in one file: an anchor reused for a signer block adds a handful; a
# "billion laughs" (nine aliases of nine aliases...) would add 9**9 once anything walks the data.
YAML_ALIAS_VALUES_MAX = 10_000


def parse_yaml(text: str, *, source: str, error: type[Kpi6Error] = InputError) -> Any:
    """`yaml.safe_load` with its failures as one line (`error`): a syntax error names its line; a document whose
    aliases would repeat more than YAML_ALIAS_VALUES_MAX values, or that refers to itself, is refused before any
    Python object is built; nesting too deep for the parser is refused, never a RecursionError."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        distinct, expanded = _yaml_sizes(node, source, error)
        if expanded - distinct > YAML_ALIAS_VALUES_MAX:
            raise error(
                f"{source}: its YAML aliases (*name) repeat {expanded - distinct:,} values; the limit is "
                f"{YAML_ALIAS_VALUES_MAX:,}: write the values out instead"
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{source}: not valid YAML{where}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError):
        raise error(f"{source}: not valid YAML (or nested too deeply)") from None
    finally:
        loader.dispose()


def _yaml_sizes(root: yaml.Node, source: str, error: type[Kpi6Error]) -> tuple[int, int]:
    """How many nodes the document has, and how many it would have with every alias written out (iteratively:
    a deep document must not hit Python's recursion limit)."""

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.MappingNode):
            return [part for pair in node.value for part in pair]
        return []

    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in children(node))
        elif key not in expanded:
            if key in open_nodes:  # reached again from inside itself: &a [*a]
                raise error(f"{source}: a YAML alias (*name) refers to itself or to what contains it")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children(node) if id(c) not in expanded)
    return len(expanded), expanded[id(root)]


def utf8_text(data: bytes, *, source: str, error: type[Kpi6Error] = InputError) -> str:
    """UTF-8 text (a byte-order mark dropped), or one line naming the first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{source}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None


def read_yaml(
    path: Path | str,
    *,
    what: str,
    max_bytes: int = YAML_FILE_MAX_MB * MB,
    error: type[Kpi6Error] = InputError,
    follow_links: bool = False,
) -> Any:
    """A YAML file's data: a regular file reached without a symbolic link, at most `max_bytes`, UTF-8, parsed
    by `parse_yaml`. Every YAML file kpi6 reads comes through here; each failure is one line (`error`)."""
    try:
        raw = read_regular(path, what=what, max_bytes=max_bytes, follow_links=follow_links)
    except InputError as exc:
        raise error(str(exc)) from None
    source = describe(Path(path))
    return parse_yaml(utf8_text(raw, source=source, error=error), source=source, error=error)


__all__ = [
    "MB",
    "describe",
    "YAML_ALIAS_VALUES_MAX",
    "YAML_FILE_MAX_MB",
    "utf8_text",
    "open_for_writing",
    "open_regular",
    "parse_yaml",
    "read_regular",
    "read_yaml",
]

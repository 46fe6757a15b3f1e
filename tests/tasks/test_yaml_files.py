"""Every YAML file kpi6 reads — an office's input file and events file, DLA's round, topics and contacts files —
goes through one bounded reader: an alias bomb, a self-reference, deep nesting, a file too large, bytes that
are not UTF-8 and a symlink into /proc are one line each, of the error class the reader's caller expects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kpi6.models.errors import InputError, Kpi6Error, RoundConfigError, SettingsError
from kpi6.settings import Settings
from kpi6.tasks.adapters.files import YAML_ALIAS_VALUES_MAX, YAML_FILE_MAX_MB, read_yaml

SHIPPED_ROUND = Path(__file__).resolve().parents[2] / "deployments" / "rounds" / "2567-1.yaml"


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _read_input(path: Path) -> Any:
    from kpi6.cli import read_input_file

    return read_input_file(path)


def _read_events(path: Path) -> Any:
    from kpi6.tasks.adapters.survey_files import read_events

    return read_events(path)


def _read_round(path: Path) -> Any:
    from kpi6.tasks.adapters.rounds import read_round_file

    return read_round_file(path)


def _read_topics(path: Path) -> Any:
    from kpi6.tasks.topics import load_topics

    return load_topics(path)


def _read_contacts(path: Path) -> Any:
    from kpi6.tasks.adapters.notify import contacts

    return contacts(Settings(contacts_file=path))


READERS: dict[str, tuple[Callable[[Path], Any], type[Kpi6Error], str]] = {
    "input": (_read_input, InputError, "input.yaml"),
    "events": (_read_events, InputError, "events.yaml"),
    "round": (_read_round, RoundConfigError, "2567-1.yaml"),
    "topics": (_read_topics, InputError, "topics.yaml"),
    "contacts": (_read_contacts, SettingsError, "contacts.yaml"),
}

BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "billion-laughs": (lambda p: p.write_text(_billion_laughs(), encoding="utf-8"), "alias"),
    "self-reference": (lambda p: p.write_text("a: &a [*a]\n", encoding="utf-8"), "refers to itself"),
    "deep-nesting": (lambda p: p.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8"), "YAML"),
    "syntax": (lambda p: p.write_text("a: [1, 2\nb: {\n", encoding="utf-8"), "not valid YAML at line"),
    "not-utf8": (lambda p: p.write_bytes("a: ทดสอบ\n".encode("cp874")), "UTF-8"),
    "too-large": (lambda p: p.write_bytes(b"a: " + b"x" * (YAML_FILE_MAX_MB * 1024 * 1024 + 10)), "MB"),
    # an office's file: "is or passes through a symbolic link"; DLA's: the link resolved, then "a system file"
    "symlink-to-proc": (lambda p: p.symlink_to("/proc/self/environ"), ""),
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_every_yaml_reader_refuses_a_hostile_file_in_one_line(tmp_path, reader, bad):
    read, error, name = READERS[reader]
    make, expected = BAD_FILES[bad]
    path = tmp_path / name
    make(path)
    with pytest.raises(error) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message
    assert expected in message, message
    if bad == "symlink-to-proc":
        office = reader in ("input", "events")
        assert ("symbolic link" if office else "is a system file") in message, message
    assert len(message) < 400, message


def test_aliases_may_repeat_a_bounded_number_of_values_and_a_few_are_fine(tmp_path):
    row = "[" + ", ".join(["1"] * 100) + "]"
    path = tmp_path / "a.yaml"
    path.write_text(f"x: &row {row}\ny: [{', '.join(['*row'] * 3)}]\n", encoding="utf-8")
    assert len(read_yaml(path, what="test")["y"]) == 3
    path.write_text(f"x: &row {row}\ny: [{', '.join(['*row'] * (YAML_ALIAS_VALUES_MAX // 100 + 2))}]\n")
    with pytest.raises(InputError, match="alias"):
        read_yaml(path, what="test")


def test_an_office_file_is_never_read_through_a_symlink_but_dla_configuration_may_be_linked_into_place(tmp_path):
    events = tmp_path / "real-events.yaml"
    events.write_text("- {date: 2024-03-01, title: x}\n", encoding="utf-8")
    (tmp_path / "events.yaml").symlink_to(events)
    with pytest.raises(InputError, match="symbolic link"):
        _read_events(tmp_path / "events.yaml")

    linked = tmp_path / "rounds" / "2567-1.yaml"
    linked.parent.mkdir()
    linked.symlink_to(SHIPPED_ROUND)
    assert _read_round(linked).id == "2567-1"


def test_the_shipped_yaml_files_still_read():
    from kpi6.tasks.topics import load_topics

    assert _read_round(SHIPPED_ROUND).id == "2567-1"
    assert len(load_topics()) >= 7

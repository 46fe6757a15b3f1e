"""The CLI's promise where it used to break: an error the user can fix is one line on stderr (`error: ...`, at
most a second line saying where the help is) and exit code 2 — never a traceback, a Rich box, a hang or a
MemoryError; and a real bug still shows its traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kpi6.cli import app, read_input_file
from kpi6.models.errors import InputError

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "deployments" / "examples" / "province-input.yaml"
KPI6 = Path(sys.executable).with_name("kpi6")
RUN = ["run", "--province", "TH-50", "--round", "2567-1"]


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # these commands fail before any flow runs, or run in a process of their own
    yield


@pytest.fixture(autouse=True)
def data_dir(sqlite_url):  # type: ignore[no-untyped-def]
    yield


def kpi6(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def assert_one_error_line(stderr: str, *expected: str) -> str:
    """stderr is `error: ...` and at most a hint line; returns the error line."""
    lines = stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr and "╭" not in stderr and "│" not in stderr, stderr
    for text in expected:
        assert text in lines[0], (text, stderr)
    if len(lines) == 2:
        assert "--help" in lines[1], stderr
    return lines[0]


def _limit_memory() -> None:
    """A child that reads /dev/zero whole would take the machine's memory: 1.5 GB of address space at most."""
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def kpi6_process(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The console script in a process of its own (memory and time bounded), on a fresh data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KPI6_"))}
    env.update(KPI6_DATA_DIR=str(tmp_path / "data"), PREFECT_HOME=str(tmp_path / "prefect"))
    try:
        return subprocess.run(
            [str(KPI6), *args], capture_output=True, text=True, env=env, timeout=timeout, preexec_fn=_limit_memory
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"kpi6 {' '.join(args)} did not answer in {timeout} s: {exc.stderr!r}")


# --- 1. the input file: read as a bounded regular file, and YAML that cannot explode ---------------------------


def _billion_laughs() -> str:
    """Nine levels of nine aliases: 9**9 strings if anything expands it (it stays small while references are shared)."""
    lines = ['x-lol: ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]', "x-levels:"]
    lines[0] = lines[0].replace("x-lol: ", "x-lol: &a ")
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  - &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\nplan:\n  activities: *i\n"


def _dev_zero(tmp: Path) -> Path:
    return Path("/dev/zero")


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "input.yaml")
    return tmp / "input.yaml"


def _symlink(tmp: Path) -> Path:
    (tmp / "broken.yaml").write_text("plan: [unclosed", encoding="utf-8")  # read through the link, it is bad YAML
    (tmp / "input.yaml").symlink_to(tmp / "broken.yaml")
    return tmp / "input.yaml"


def _fifty_mb(tmp: Path) -> Path:
    with (tmp / "input.yaml").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    return tmp / "input.yaml"


def _bomb(tmp: Path) -> Path:
    (tmp / "input.yaml").write_text(_billion_laughs(), encoding="utf-8")
    return tmp / "input.yaml"


@pytest.mark.parametrize(
    "make, expected",
    [
        (_dev_zero, "/dev/zero"),
        (_fifo, "input.yaml"),
        (_symlink, "symbolic link"),
        (_fifty_mb, "MB"),
        (_bomb, "alias"),
    ],
    ids=["dev-zero", "fifo", "symlink", "50-MB", "billion-laughs"],
)
def test_an_input_file_that_is_not_a_small_regular_file_is_one_line(tmp_path, make, expected):
    proc = kpi6_process(tmp_path, *RUN, "--input", str(make(tmp_path)))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert_one_error_line(proc.stderr, expected)


def test_the_input_file_bound_is_a_few_megabytes():
    from kpi6.cli import INPUT_FILE_MAX_MB

    assert 1 <= INPUT_FILE_MAX_MB <= 10


def test_a_yaml_anchor_used_again_is_still_read(tmp_path):
    path = tmp_path / "input.yaml"
    path.write_text(
        "form1: &report {signer_name: นายสมชาย ใจดี, signer_position: ท้องถิ่นจังหวัดเชียงใหม่,"
        " channel: manual, submitted_at: 2024-02-09T16:30}\n"
        "form2: {<<: *report, submitted_at: 2024-03-20T09:00}\n",
        encoding="utf-8",
    )
    inputs = read_input_file(path)
    assert inputs.form1.signer_name == inputs.form2.signer_name == "นายสมชาย ใจดี"
    assert (inputs.form1.submitted_at.month, inputs.form2.submitted_at.month) == (2, 3)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: &a [*a]\n", "refers to itself"),
        ("plan: " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),
    ],
)
def test_a_recursive_or_deeply_nested_yaml_is_one_line(tmp_path, text, expected):
    path = tmp_path / "input.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        read_input_file(path)


def test_aliases_may_repeat_only_a_bounded_number_of_values(tmp_path):
    from kpi6.tasks.adapters.files import YAML_ALIAS_VALUES_MAX

    row = "[" + ", ".join(["1"] * 100) + "]"
    path = tmp_path / "input.yaml"
    repeats = YAML_ALIAS_VALUES_MAX // 100 + 2
    path.write_text(f"x: &row {row}\ny: [{', '.join(['*row'] * repeats)}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="alias"):
        read_input_file(path)


def test_a_deeply_nested_json_input_is_one_line(tmp_path):
    path = tmp_path / "input.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = kpi6(*RUN, "--input", str(path))
    assert result.exit_code == 2, result.output
    assert_one_error_line(result.stderr, "input.json")


def test_an_input_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "input.yaml"
    path.write_bytes("plan: ทดสอบ\n".encode("cp874"))
    result = kpi6(*RUN, "--input", str(path))
    assert result.exit_code == 2, result.output
    assert_one_error_line(result.stderr, "UTF-8")


def test_the_example_input_is_still_read():
    inputs = read_input_file(EXAMPLE)
    assert inputs.plan is not None and len(inputs.media.media) == 2
    assert yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["form1"]["signer_name"] == inputs.form1.signer_name


# --- 2. option errors: one line for every command, not Rich's box ----------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        ([*RUN, "--step", "9"], ["--step", "9", "1 to 5"]),
        ([*RUN, "--step", "0"], ["--step", "0", "1 to 5"]),
        ([*RUN, "--step", "three"], ["--step", "three"]),
        ([*RUN, "--bogus"], ["--bogus"]),
        (["run", "--provnce", "TH-50", "--round", "2567-1"], ["--provnce", "--province"]),
        (["run", "--round", "2567-1"], ["--province"]),
        (["penalty", "--deadline"], ["--deadline"]),
        (["topics", "lpa.csv", "--threshold", "0"], ["--threshold", "1 to 100"]),
        (["survey", "summary"], ["Missing argument", "file"]),
        (["survey", "import", "x.csv", "--round", "2567-1"], ["--province"]),
        (["round", "show"], ["round_id"]),
        (["nosuchcommand"], ["nosuchcommand"]),
        (["--bogus", "run"], ["--bogus"]),
    ],
)
def test_an_option_error_is_one_line_with_exit_code_2(args, expected):
    result = kpi6(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "", result.stdout
    line = assert_one_error_line(result.stderr, *expected)
    assert "Usage:" not in result.stderr, line


def test_the_hint_names_the_command_that_was_typed():
    result = kpi6(*RUN, "--step", "9")
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "try `kpi6 run --help`", result.stderr


def test_help_and_a_bare_command_still_show_the_help():
    assert kpi6("run", "--help").exit_code == 0
    assert "--province" in kpi6("run", "--help").stdout
    bare = kpi6("survey")
    assert "summary" in bare.output and "import" in bare.output


# --- 3. a kpi6 error inside a flow run: one line on the terminal, the traceback in Prefect's API log ------------


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One Prefect home for this module's console-script runs: the ephemeral API starts warm after the first."""
    home = tmp_path_factory.mktemp("prefect-home")
    return home


def _steps_1_to_3_by_email(tmp_path: Path) -> Path:
    """The example's steps 1-3 with linked media (nothing to generate) and Form 1 to be e-mailed by kpi6: the
    CLI's checks pass, and only the flow meets the mail server."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for n, medium in enumerate(data["media"]["media"]):
        medium.update(format="video", link=f"https://www.youtube.com/watch?v=kpi6-{n}")
    data["form1"].pop("submitted_at")
    data["form1"]["channel"] = "email"
    path = tmp_path / "steps-1-3.yaml"
    path.write_text(
        yaml.safe_dump({k: data[k] for k in ("plan", "media", "form1")}, allow_unicode=True), encoding="utf-8"
    )
    return path


def _flow_env(tmp_path: Path, home: Path) -> dict[str, str]:
    from tests.support.mail import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KPI6_"))}
    env.update(
        KPI6_DATA_DIR=str(tmp_path / "data"),
        PREFECT_HOME=str(home),
        KPI6_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
        KPI6_SMTP_ATTEMPTS="1",
    )  # nobody listens there
    return env


def _api_logs(home: Path, like: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(home / "prefect.db") as db:
        return [m for (m,) in db.execute("select message from log where message like ?", (f"%{like}%",))]


def test_a_mail_server_refusing_inside_the_flow_is_one_line_and_its_traceback_goes_to_the_ui(tmp_path, prefect_home):
    args = [str(KPI6), *RUN, "--input", str(_steps_1_to_3_by_email(tmp_path)), "--out", str(tmp_path / "out")]
    proc = subprocess.run(args, capture_output=True, text=True, env=_flow_env(tmp_path, prefect_home), timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()], proc.stderr  # that line and nothing else
    assert_one_error_line(proc.stderr, "mail server")
    logged = _api_logs(prefect_home, "DeliveryError")  # the Prefect UI still has the task's and the flow's report
    assert any(m.startswith("Task run failed with exception") and "Traceback" in m for m in logged), logged
    assert any(m.startswith("Encountered exception during execution") and "Traceback" in m for m in logged), logged


def test_with_verbose_the_terminal_shows_prefects_traceback_too(tmp_path, prefect_home):
    args = [str(KPI6), "-v", *RUN, "--input", str(_steps_1_to_3_by_email(tmp_path)), "--out", str(tmp_path / "out")]
    proc = subprocess.run(args, capture_output=True, text=True, env=_flow_env(tmp_path, prefect_home), timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Task run failed with exception: DeliveryError" in proc.stderr and "Traceback" in proc.stderr
    assert any(line.startswith("error: cannot reach the mail server") for line in proc.stderr.splitlines())


BUG = """
import sys
import kpi6.tasks.plan as plan
def record_step(*args, **kwargs):
    raise RuntimeError("a bug in kpi6")
plan.record_step = record_step
from kpi6.cli import main
sys.argv[0] = "kpi6"
main()
"""


def test_an_unexpected_exception_inside_the_flow_still_shows_its_traceback(tmp_path, prefect_home):
    path = tmp_path / "plan.yaml"
    plan = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["plan"]
    path.write_text(yaml.safe_dump({"plan": plan}, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", BUG, *RUN, "--input", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=_flow_env(tmp_path, prefect_home),
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Task run failed with exception: RuntimeError('a bug in kpi6')" in proc.stderr, proc.stderr
    assert "Traceback" in proc.stderr and "RuntimeError: a bug in kpi6" in proc.stderr


def test_a_temporary_api_that_does_not_start_in_time_is_one_line_and_nothing_is_recorded(tmp_path, prefect_home):
    env = _flow_env(tmp_path, prefect_home)
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "0"  # no server answers within 0 s
    args = [str(KPI6), *RUN, "--input", str(_steps_1_to_3_by_email(tmp_path)), "--out", str(tmp_path / "out")]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: Prefect's temporary API did not start within 0 s")
    assert not list((tmp_path / "out").rglob("form1.*"))  # no step ran

"""Text, links, channels and dates are checked where they enter (the input models), so that nothing accepted at
steps 1-2 crashes Form 1 or Form 2 at step 3 or 5; each refusal is one line naming the field."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest
from pydantic import ValidationError

from kpi6.models.calendar import BANGKOK
from kpi6.models.errors import InputError
from kpi6.models.inputs import ProvinceInputs, parse_inputs
from kpi6.models.rules import check_moment
from kpi6.tasks.adapters.rounds import load_round
from tests.support.factories import full_inputs


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # pure model checks: no Prefect needed
    yield


def data() -> dict:
    """The factories' five steps as an input file holds them (plain YAML/JSON values)."""
    return copy.deepcopy(full_inputs().model_dump(mode="json"))


def refusal(d: dict) -> str:
    with pytest.raises(InputError) as info:
        parse_inputs(d, source="input.yaml")
    msg = str(info.value)
    assert "\n" not in msg, msg  # one line
    assert "Traceback" not in msg
    return msg


def _set(d: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    node: object = d
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]  # type: ignore[index]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value  # type: ignore[index]
    return d


LONG_LINK = "https://evidence.example/" + "a" * 8000


# ---------------------------------------------------------------------------------------------
# Free text: control characters, emoji, characters the font cannot draw, lengths
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        pytest.param("media.media.0.title", "คู่มือ 😀 ทางหลวง", ["emoji", "อีโมจิ", "U+1F600"], id="emoji-in-title"),
        pytest.param("media.media.0.title", "คู่มือ\x00ทางหลวง", ["control character", "U+0000"], id="nul-in-title"),
        pytest.param(
            "media.media.1.background", "สาเหตุ\x07\x1b[0m", ["control character", "U+0007"], id="bel-in-background"
        ),
        pytest.param("form2.summary", "สรุปผล\x1b", ["control character", "U+001B"], id="esc-in-summary"),
        pytest.param("form1.summary", "ดีมาก 👍🏻", ["emoji", "อีโมจิ"], id="emoji-in-summary"),
        pytest.param("media.media.0.content", "ขั้นตอน ❤️", ["emoji"], id="heart-with-variation-selector"),
        pytest.param("media.media.0.agency", "สถจ.\u4e2d\u6587", ["U+4E2D", "Sarabun"], id="cjk-not-in-font"),
        pytest.param("form1.signer_name", "นาย\x7fสมชาย", ["control character", "U+007F"], id="del-in-signer"),
        pytest.param("dissemination.events.0.channel_detail", "ห้อง\x0c1", ["control character"], id="form-feed"),
    ],
)
def test_text_a_form_cannot_print_is_refused_naming_the_field(field, value, expected):
    msg = refusal(_set(data(), field, value))
    assert msg.startswith(f"input.yaml: field {field}: "), msg
    for text in expected:
        assert text in msg, msg


def test_an_emoji_is_refused_with_a_sentence_in_thai_and_english():
    msg = refusal(_set(data(), "media.media.0.title", "คู่มือทางหลวง 🚧"))
    sentence = msg.split(": ", 2)[2]
    assert "emoji" in sentence and "อีโมจิ" in sentence
    assert "🚧" in sentence


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        pytest.param("media.media.0.title", 200, id="title"),
        pytest.param("plan.activities.0.activity", 200, id="activity"),
        pytest.param("form1.signer_name", 200, id="signer"),
        pytest.param("form1.signer_position", 200, id="position"),
        pytest.param("dissemination.events.0.channel_detail", 200, id="channel-detail"),
        pytest.param("media.media.0.background", 5000, id="background"),
        pytest.param("media.media.0.content", 5000, id="content"),
        pytest.param("form2.summary", 5000, id="summary"),
        pytest.param("dissemination.strategy", 5000, id="strategy"),
        pytest.param("dissemination.events.0.description", 5000, id="description"),
    ],
)
def test_each_text_field_has_a_length_limit(field, limit):
    ok = _set(data(), field, "ก" * limit)
    parse_inputs(ok, source="input.yaml")
    msg = refusal(_set(data(), field, "ก" * (limit + 1)))
    assert msg.startswith(f"input.yaml: field {field}: "), msg
    assert f"{limit + 1:,} characters" in msg and f"{limit:,}" in msg


@pytest.mark.parametrize(
    ("field", "item", "limit"),
    [
        pytest.param("media.media.0.key_points", "ประเด็น", 20, id="key-points"),
        pytest.param("dissemination.events.0.laos", "อบต.ตัวอย่าง", 1000, id="laos"),
        pytest.param("plan.activities", None, 50, id="activities"),
        pytest.param("plan.evidence", "https://evidence.example/plan.pdf", 100, id="evidence"),
    ],
)
def test_lists_have_a_length_limit(field, item, limit):
    d = data()
    if item is None:
        item = d["plan"]["activities"][0]
    items = [f"{item} {i}" if isinstance(item, str) and not item.startswith("http") else item for i in range(limit)]
    parse_inputs(_set(copy.deepcopy(d), field, items), source="input.yaml")
    msg = refusal(_set(d, field, [*items, items[0]]))
    assert msg.startswith(f"input.yaml: field {field}: "), msg
    assert f"{limit:,}" in msg and f"{limit + 1:,}" in msg


def test_line_endings_are_normalised_and_tabs_and_newlines_kept():
    d = _set(data(), "media.media.0.content", "ขั้นที่ 1\r\nขั้นที่ 2\rขั้นที่ 3\n\tหมายเหตุ")
    inputs = parse_inputs(d, source="input.yaml")
    assert inputs.media.media[0].content == "ขั้นที่ 1\nขั้นที่ 2\nขั้นที่ 3\n\tหมายเหตุ"  # type: ignore[union-attr]


def test_thai_latin_and_the_forms_punctuation_are_accepted():
    text = "คู่มือการขึ้นทะเบียนทางหลวงท้องถิ่น ดำเนินงาน ๑๒๓ – “LPA” • 50% ฿100 Café naïve ©"
    inputs = parse_inputs(_set(data(), "media.media.0.title", text), source="input.yaml")
    assert inputs.media.media[0].title == text  # type: ignore[union-attr]


def test_invisible_zero_width_spaces_pasted_with_thai_text_are_dropped():
    title = "\ufeffคู่มือ\u200bทาง\u200eหลวง"
    inputs = parse_inputs(_set(data(), "media.media.0.title", title), source="input.yaml")
    assert inputs.media.media[0].title == "คู่มือทางหลวง"  # type: ignore[union-attr]


def test_models_built_in_code_are_checked_too():
    from pydantic import ValidationError

    from tests.support.factories import medium

    with pytest.raises(ValidationError, match="emoji"):
        medium("คู่มือ 😀")


# ---------------------------------------------------------------------------------------------
# Links: http(s), no spaces or control characters, short enough for a QR code that scans
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(LONG_LINK, ["8,025 characters", "300 bytes", "QR"], id="8000-characters"),
        pytest.param(
            "https://evidence.example/" + "ก" * 100, ["125 characters (325 bytes", "QR"], id="thai-counts-in-utf8-bytes"
        ),
        pytest.param("ftp://evidence.example/a.pdf", ["http:// or https://"], id="ftp"),
        pytest.param("javascript:alert(1)", ["http:// or https://"], id="javascript"),
        pytest.param("file:///etc/passwd", ["http:// or https://"], id="file"),
        pytest.param("evidence.example/a.pdf", ["http:// or https://"], id="no-scheme"),
        pytest.param("https://", ["host"], id="no-host"),
        pytest.param("https://evidence.example/my file.pdf", ["space"], id="space"),
        pytest.param("https://evidence.example/a\tb", ["space"], id="tab"),
        pytest.param("https://evidence.example/a\x07b", ["control character"], id="bel"),
        pytest.param("https://evidence.example/😀", ["emoji"], id="emoji"),
    ],
)
def test_a_medium_link_must_be_a_short_web_link(value, expected):
    d = _set(data(), "media.media.0.link", value)
    msg = refusal(d)
    assert msg.startswith("input.yaml: field media.media.0.link: "), msg
    for text in expected:
        assert text in msg, msg


def test_a_link_at_the_limit_is_accepted_and_its_scheme_lower_cased():
    link = "HTTPS://evidence.example/" + "a" * (300 - len("https://evidence.example/"))
    inputs = parse_inputs(_set(data(), "media.media.0.link", link), source="input.yaml")
    assert inputs.media.media[0].link == "https" + link[5:]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "field", ["plan.evidence", "media.evidence", "dissemination.evidence", "dissemination.events.0.evidence"]
)
def test_evidence_links_are_checked_like_medium_links(field):
    msg = refusal(_set(data(), field, ["report.pdf", LONG_LINK]))
    assert msg.startswith(f"input.yaml: field {field}.1: "), msg
    assert "QR" in msg
    msg = refusal(_set(data(), field, ["ftp://evidence.example/a.pdf"]))
    assert "http:// or https://" in msg


def test_evidence_files_may_have_any_name_but_no_control_characters():
    ok = _set(data(), "plan.evidence", ["แผน 2567 (ฉบับจริง) 😀.pdf", "C:\\เอกสาร\\plan.pdf"])
    parse_inputs(ok, source="input.yaml")
    msg = refusal(_set(data(), "plan.evidence", ["plan\x00.pdf"]))
    assert msg.startswith("input.yaml: field plan.evidence.0: ") and "control character" in msg


def test_the_links_kpi6_itself_writes_for_generated_media_are_read_back():
    """Step 3 reads the recorded step 2 back through MediaSetInput: the local store's file:// link of a medium
    kpi6 generated must pass, or Form 1 could not be made in the default (local) setup."""
    from kpi6.models.inputs import MediaSetInput

    recorded = data()["media"]
    recorded["media"][0]["link"] = (
        "file:///home/clerk/.local/share/kpi6/evidence/2567-1/TH-50/step-2/medium-1-handbook.pdf"
    )
    recorded["media"][1]["link"] = "file:///srv/out/evidence/2567-1/TH-50/step-2/medium-2-infographic.pdf"
    media = MediaSetInput.model_validate(recorded)
    assert media.media[0].link.startswith("file:///home/")  # type: ignore[union-attr]
    own = "file:///srv/data/evidence/2567-1/TH-50/step-2/%E0%B8%AA%E0%B8%B7%E0%B9%88%E0%B8%AD.pdf"  # an office's file
    recorded["media"][1]["link"] = own
    assert MediaSetInput.model_validate(recorded).media[1].link == own
    for elsewhere in ("file:///home/clerk/Desktop/x.pdf", "file:///srv/TH-50/step-2/a.pdf?x=1", "file:///etc/passwd"):
        recorded["media"][1]["link"] = elsewhere
        with pytest.raises(ValueError, match="http:// or https://"):
            MediaSetInput.model_validate(recorded)


# ---------------------------------------------------------------------------------------------
# Report channels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typo", ["e-mail", "mail", "post", ""])
def test_an_unknown_report_channel_is_refused_in_one_line(typo):
    msg = refusal(_set(data(), "form1.channel", typo))
    assert msg.startswith("input.yaml: field form1.channel: "), msg
    assert repr(typo) in msg and "email" in msg and "manual" in msg


@pytest.mark.parametrize(
    ("given", "value"), [("email", "email"), (" email ", "email"), ("manual", "manual"), ("Email", "email")]
)
def test_the_report_channels_email_and_manual_still_work(given, value):
    from kpi6.models.inputs import ReportChannel

    inputs = parse_inputs(_set(data(), "form2.channel", given), source="input.yaml")
    assert inputs.form2.channel == value  # type: ignore[union-attr]
    assert inputs.form2.channel is ReportChannel(value)  # type: ignore[union-attr]
    assert ProvinceInputs().model_validate({"form1": {}}).form1.channel == "manual"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Buddhist-Era years
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "ce"),
    [
        pytest.param("form1.submitted_at", "2567-02-09", "2024", id="submitted-date"),
        pytest.param("form1.submitted_at", "2567-02-09T16:30:00+07:00", "2024", id="submitted-datetime"),
        pytest.param("plan.activities.0.start", "2566-12-01", "2023", id="activity-start"),
        pytest.param("plan.done_at", "2567-01-10T10:00:00", "2024", id="plan-done"),
        pytest.param("dissemination.events.0.date", "2567-02-15", "2024", id="event-date"),
        pytest.param("dissemination.done_at", "2567-03-07", "2024", id="dissemination-done"),
        pytest.param("form2.submitted_at", "2567-02-29", "2024", id="feb-29-of-a-be-leap-year"),
    ],
)
def test_a_buddhist_era_year_is_named_with_its_ce_year(field, value, ce):
    msg = refusal(_set(data(), field, value))
    assert msg.startswith(f"input.yaml: field {field}: "), msg
    assert "Buddhist-Era" in msg and ce in msg, msg
    assert "before" not in msg and "outside" not in msg


def test_a_buddhist_era_date_read_by_yaml_as_a_date_is_named_too():
    import yaml

    d = yaml.safe_load("form1:\n  submitted_at: 2567-02-09\n  channel: manual\n")
    msg = refusal(d)
    assert "Buddhist-Era" in msg and "2024-02-09" in msg


def test_check_moment_names_a_buddhist_era_year_given_directly():
    config = load_round("2567-1")
    with pytest.raises(InputError) as info:
        check_moment(
            config,
            datetime(2567, 2, 9, 16, 30, tzinfo=BANGKOK),
            now=datetime(2024, 3, 30, tzinfo=BANGKOK),
            what="Form 1's submission time",
        )
    msg = str(info.value)
    assert msg.startswith("Form 1's submission time 2567-02-09")
    assert "Buddhist-Era" in msg and "2024-02-09T16:30:00+07:00" in msg


# ---------------------------------------------------------------------------------------------
# The font's coverage, read from the font files
# ---------------------------------------------------------------------------------------------


def test_every_allowed_character_has_a_glyph_in_every_sarabun_file():
    import fontpkg
    from fontTools.ttLib import TTFont

    from kpi6.models import text

    allowed = {cp for start, end in text.FONT_RANGES for cp in range(start, end + 1)}
    assert len(allowed) > 600
    assert {ord(c) for c in "กขฮ฿ำ่้๊๋ ๆ๏๐๙๚๛AZaz09–•·\u00a0"} <= allowed
    for weight in (400, 700):
        for style in ("normal", "italic"):
            cmap = TTFont(fontpkg.path("sarabun", weight=weight, style=style)).getBestCmap()
            missing = sorted(cp for cp in allowed if cp not in cmap)
            assert missing == [], f"{weight} {style}: no glyph for {[f'U+{cp:04X}' for cp in missing[:10]]}"
    for cp in allowed:  # and no control character sneaks in through the font's own .null / CR glyphs
        assert cp >= 0x20 and not 0x7F <= cp <= 0x9F


def test_printable_keeps_what_the_font_draws_and_drops_or_replaces_the_rest():
    from kpi6.models.text import printable

    assert printable("ดีมาก 👍🏻 ขอบคุณ ❤️") == "ดีมาก  ขอบคุณ "
    assert printable("ก\x00ข\x07ค\x1bง\r\nจ\tฉ") == "กขคง\nจ\tฉ"
    assert printable("สถจ.\u4e2d\u6587") == "สถจ.??"
    assert printable("คู่มือ ดำเนินงาน – “LPA”") == "คู่มือ ดำเนินงาน – “LPA”"


def test_an_events_file_with_a_buddhist_era_date_names_it_with_its_row(tmp_path):
    from kpi6.tasks.adapters.survey_files import read_events

    path = tmp_path / "events.csv"
    path.write_text(
        "วันที่,ช่องทาง,อบจ.,เทศบาล,อบต.,ผู้เข้าร่วม,รายละเอียด\n"
        "2024-02-15,การประชุมชี้แจง,1,40,80,120,ประชุมประจำเดือน\n"
        "2567-02-22,กลุ่มไลน์,1,40,80,0,เผยแพร่ไฟล์สื่อ 👍\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_events(path)
    msg = str(info.value)
    assert msg.startswith("events.csv: row 3, date: 2567-02-22 looks like a Buddhist-Era year"), msg
    assert "2024-02-22" in msg


def test_work_a_sent_report_covers_cannot_be_redated_after_it(sqlite_url, tmp_path):
    """A forced re-run of the media dated after Form 1 went out would leave Form 1 before its media."""
    from kpi6.flows.province import province_round
    from kpi6.models.inputs import ProvinceInputs
    from tests.support.factories import bkk, full_inputs

    inputs = full_inputs()
    province_round(
        "TH-50",
        "2567-1",
        inputs=ProvinceInputs(plan=inputs.plan, media=inputs.media, form1=inputs.form1),
        now=bkk(2024, 2, 9, 17),
        output_dir=str(tmp_path),
    )
    late_media = inputs.media.model_copy(update={"done_at": bkk(2024, 2, 12, 10)})
    with pytest.raises(InputError, match=r"after Form 1 reported it .* send Form 1 again first"):
        province_round(
            "TH-50",
            "2567-1",
            step=2,
            force=True,
            inputs=ProvinceInputs(media=late_media),
            now=bkk(2024, 2, 12, 11),
            output_dir=str(tmp_path),
        )
    early_media = inputs.media.model_copy(update={"done_at": bkk(2024, 2, 1, 10)})
    summary = province_round(
        "TH-50",
        "2567-1",
        step=2,
        force=True,
        inputs=ProvinceInputs(media=early_media),
        now=bkk(2024, 2, 12, 11),
        output_dir=str(tmp_path),
    )
    assert summary.steps[1].completed_at == bkk(2024, 2, 1, 10)


@pytest.mark.parametrize("field", ["laos_total", "laos_reached"])
def test_a_count_of_laos_larger_than_any_province_is_refused(field):
    from kpi6.models.inputs import MAX_LAOS, DisseminationEvent, DisseminationInput

    event = {"date": "2024-02-15", "channel": "training", "laos_reached": 3}
    if field == "laos_reached":
        event["laos_reached"] = 10**30
    data = {"events": [event], **({"laos_total": 10**30} if field == "laos_total" else {})}
    with pytest.raises(ValidationError, match=f"less than or equal to {MAX_LAOS}"):
        DisseminationInput.model_validate(data)
    DisseminationEvent.model_validate({**event, "laos_reached": MAX_LAOS})

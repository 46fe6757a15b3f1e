"""Steps 2, 3 and 5 produce their files under <output>/<round>/<code>/ and record each file's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from sqlmodel import select

from kpi6.flows.demo import national_demo
from kpi6.flows.province import province_round
from kpi6.models.db import StepProgress
from kpi6.models.errors import InputError
from kpi6.models.inputs import DisseminationInput, MediaSetInput, PlanInput
from kpi6.models.survey import summarize
from kpi6.tasks.adapters.database import migrate, session_scope
from kpi6.tasks.adapters.survey_files import read_survey
from kpi6.tasks.topics import analyse
from tests.support.docs import decode_qr, docx_images, pdf_images, pdf_pages, squash
from tests.support.factories import bkk, full_inputs, medium

NOW = bkk(2024, 3, 30, 12)
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def _rows() -> dict[int, StepProgress]:
    with session_scope() as s:
        rows = s.exec(select(StepProgress).where(StepProgress.province_code == "TH-50")).all()
        for r in rows:
            s.expunge(r)
    return {r.step: r for r in rows}


def _path(link: str) -> Path:
    assert link.startswith("file://")
    return Path(unquote(urlparse(link).path))


def test_province_run_writes_forms_and_media_with_their_hashes(db_url, tmp_path):
    out = tmp_path / "out"
    province_round("TH-50", "2567-1", inputs=full_inputs(), now=NOW, output_dir=str(out))
    folder = out / "2567-1" / "TH-50"
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert names == [
        "form1.docx",
        "form1.pdf",
        "form2.docx",
        "form2.pdf",
        "medium-1-handbook.pdf",
        "medium-2-infographic.pdf",
        "medium-2-infographic.png",
    ]
    rows = _rows()
    recorded = {**rows[2].file_hashes, **rows[3].file_hashes, **rows[5].file_hashes}
    assert recorded == {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}
    assert set(rows[3].file_hashes) == {"form1.docx", "form1.pdf"}
    # Each medium's link is the evidence store's copy of the generated file; Form 1's QR codes encode them.
    media = MediaSetInput.model_validate(rows[2].inputs).media
    for m in media:
        assert _path(m.link).read_bytes()[:4] == b"%PDF"
    plan_link = rows[1].evidence[0]
    assert _path(plan_link).is_dir()
    expected = {plan_link, *(m.link for m in media)}
    form1_pdf = (folder / "form1.pdf").read_bytes()
    assert {t for image in pdf_images(form1_pdf) for t in decode_qr(image)} == expected
    assert {t for image in docx_images((folder / "form1.docx").read_bytes()) for t in decode_qr(image)} == expected
    form2_links = {t for image in pdf_images((folder / "form2.pdf").read_bytes()) for t in decode_qr(image)}
    assert form2_links == set(rows[4].evidence[:2])
    assert all(_path(link).is_dir() for link in form2_links)


def test_evidence_base_url_makes_http_links_and_office_files_are_copied(sqlite_url, tmp_path, monkeypatch):
    from kpi6.settings import get_settings

    monkeypatch.setenv("KPI6_EVIDENCE_BASE_URL", "https://evidence.example/kpi6/")
    get_settings.cache_clear()
    photo = tmp_path / "ประชุม 15 ก.พ..jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo")
    inputs = full_inputs()
    inputs.dissemination.evidence = [str(photo), "https://photos.example/album/1"]
    try:
        province_round("TH-50", "2567-1", inputs=inputs, now=NOW, output_dir=str(tmp_path / "out"))
    finally:
        get_settings.cache_clear()
    rows = _rows()
    assert rows[1].evidence[0] == "https://evidence.example/kpi6/2567-1/TH-50/step-1/"
    diss = rows[4].evidence
    assert diss[:2] == [
        "https://evidence.example/kpi6/2567-1/TH-50/step-4/",
        "https://evidence.example/kpi6/2567-1/TH-50/step-4/survey/",
    ]
    assert diss[2].startswith("https://evidence.example/kpi6/2567-1/TH-50/step-4/%E0%B8%9B")
    assert diss[3] == "https://photos.example/album/1"
    copied = tmp_path / "out" / "evidence" / "2567-1" / "TH-50" / "step-4" / photo.name
    assert copied.read_bytes() == photo.read_bytes()


def test_an_incomplete_medium_or_missing_evidence_file_writes_no_file_and_no_row(sqlite_url, tmp_path):
    migrate()
    out = tmp_path / "out"
    inputs = full_inputs()
    inputs.media = MediaSetInput.model_construct(media=[medium(), medium(content="")], evidence=[], done_at=None)
    with pytest.raises(InputError, match="medium 2 .* lacks: .*content"):
        province_round("TH-50", "2567-1", inputs=inputs, now=NOW, output_dir=str(out))
    inputs = full_inputs()
    inputs.plan.evidence = [str(tmp_path / "no-such-plan.pdf")]
    with pytest.raises(InputError, match="evidence file not found: .*no-such-plan.pdf"):
        province_round("TH-50", "2567-1", inputs=inputs, now=NOW, output_dir=str(out))
    assert not out.exists()
    with session_scope() as s:
        assert s.exec(select(StepProgress)).all() == []


def test_demo_leaves_each_completed_provinces_files(sqlite_url, tmp_path):
    national_demo(round_id="2567-1", seed=6, out_dir=str(tmp_path), provinces=["TH-50", "TH-11"])
    with session_scope() as s:
        rows = s.exec(select(StepProgress).where(StepProgress.step.in_([3, 5]), StepProgress.state == "done")).all()
    done = {(r.province_code, r.step) for r in rows}
    assert done  # the sample profiles give these offices at least Form 1
    emls = sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))
    assert emls == sorted(f"kpi6.2567-1.{code}.form{1 if step == 3 else 2}.v1_at_kpi6.local.eml" for code, step in done)
    for code, step in done:
        form = 1 if step == 3 else 2
        for ext in ("pdf", "docx"):
            data = (tmp_path / "2567-1" / code / f"form{form}.{ext}").read_bytes()
            assert data[:4] in (b"%PDF", b"PK\x03\x04")
    # Each Form 2 summarises the survey export the demo generated for that office (CSV and XLSX in turn).
    with session_scope() as s:
        step4 = {r.province_code: r for r in s.exec(select(StepProgress).where(StepProgress.step == 4)).all()}
    exports = {p.stem.removesuffix("-survey"): p for p in (tmp_path / "inputs" / "2567-1" / "surveys").iterdir()}
    assert {p.suffix for p in exports.values()} == {".csv", ".xlsx"}
    assert any(step == 5 for _, step in done)
    # Each office's plan was proposed from its generated LPA results, and its two media are on those topics.
    with session_scope() as s:
        firsts = {r.province_code: r for r in s.exec(select(StepProgress).where(StepProgress.step == 1)).all()}
        media = {r.province_code: r for r in s.exec(select(StepProgress).where(StepProgress.step == 2)).all()}
    for code in ("TH-50", "TH-11"):
        plan = PlanInput.model_validate(firsts[code].inputs)
        assert len(plan.topics) == 2 and firsts[code].evidence[-1].endswith(f"{code}-lpa.csv")
        expected = analyse(tmp_path / "inputs" / "2567-1" / "lpa" / f"{code}-lpa.csv")
        assert [t.title for t in plan.topics] == [p.topic.title_th for p in expected.proposal]
        titles = [m.title for m in MediaSetInput.model_validate(media[code].inputs).media]
        assert titles == [t.title for t in plan.topics]
    for code, step in done:
        if step != 5:
            continue
        survey = DisseminationInput.model_validate(step4[code].inputs).survey
        assert survey is not None and survey.source == exports[code].name
        expected = summarize(read_survey(exports[code], period=(date(2023, 10, 1), date(2024, 3, 31)))[0])
        text = squash("".join(pdf_pages((tmp_path / "2567-1" / code / "form2.pdf").read_bytes())))
        assert squash(f"ผู้ตอบแบบสำรวจ {expected.n} ราย".translate(THAI)) in text
        assert f"{expected.overall.mean:.2f}".translate(THAI) in text
        assert f"{expected.overall.sd:.2f}".translate(THAI) in text

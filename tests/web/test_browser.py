"""The portal in a real browser: Debian's chromium driven by Playwright, against uvicorn on loopback. An office
signs in and reads its province; DLA reads the national table and another province; each page is shot at
1280 and 390 px wide (KPI6_SCREENSHOTS names a folder to keep them in)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, USERS, Portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTHS = (1280, 390)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(portal: Portal) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(portal.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is required under CI=true (scripts/system-packages.sh installs it)")
        pytest.skip("no chromium on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KPI6_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _look(page, name: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Shoot the page at each width; at 390 px nothing but a table's own scroller may be wider than the page."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} at {width} px is {overflow} px wider than the screen"


def _sign_in(page, base: str, who: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", USERS[who][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _fonts_are_thai(page) -> None:  # type: ignore[no-untyped-def]
    """Sarabun loaded from the portal itself (no tofu: the page's own font has the Thai glyphs)."""
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ขั้นตอน')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('Sarabun') && f.status === 'loaded')")


def test_an_office_signs_in_and_reads_its_province(served: str, browser, portal: Portal, tmp_path: Path) -> None:
    from kpi6.flows.province import province_round
    from tests.support.factories import bkk, full_inputs

    province_round("TH-50", "2567-1", inputs=full_inputs(), now=bkk(2024, 3, 25), output_dir=str(tmp_path / "o"))
    folder = _shots(tmp_path)
    page = browser.new_page()
    page.goto(f"{served}/provinces/TH-50")
    assert page.url.endswith("/login")
    _look(page, "login", folder)
    page.fill("input[name=email]", USERS["office"][0])
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in page.inner_text("main")
    _sign_in(page, served, "office")
    page.wait_for_url(f"{served}/provinces/TH-50")
    _fonts_are_thai(page)
    text = page.inner_text("main")
    assert "สถจ.เชียงใหม่" in text and "จัดทำแผนและขั้นตอนการดำเนินงาน" in text
    assert "๑๒ มกราคม ๒๕๖๗" in text  # step 1's deadline, BE
    assert page.locator("li.step.state-done").count() == 5
    _look(page, "province-office", folder)
    page.goto(f"{served}/provinces/TH-57")
    assert "ไม่พบหน้านี้" in page.inner_text("main") and "เชียงราย" not in page.content()
    page.goto(f"{served}/dla")
    assert "ไม่พบหน้านี้" in page.inner_text("main")
    page.goto(f"{served}/provinces/TH-50")
    page.click("button:has-text('ออกจากระบบ')")
    page.wait_for_url(f"{served}/login")
    page.goto(f"{served}/provinces/TH-50")
    assert page.url.endswith("/login")


def test_dla_reads_the_national_table_and_another_province(served: str, browser, tmp_path: Path) -> None:
    folder = _shots(tmp_path)
    page = browser.new_page()
    _sign_in(page, served, "dla")
    page.wait_for_url(f"{served}/dla")
    _fonts_are_thai(page)
    assert page.locator("table.national tbody tr").count() == 76
    _look(page, "national", folder)
    assert page.locator(".map svg g.tile").count() == 77  # the national report's map, Bangkok apart
    page.click(".measures a:has-text('จำนวนขั้นตอนที่ดำเนินการแล้ว')")
    assert "measure=steps" in page.url and page.locator(".map svg[aria-label='จำนวนขั้นตอนที่ดำเนินการแล้ว']").count()
    page.click("table.national th a:has-text('คะแนน')")  # sort by score, the map's measure kept
    assert "sort=total" in page.url and "measure=steps" in page.url
    page.check("input[name=late]")
    page.click("button:has-text('กรอง')")
    assert "late=true" in page.url and page.locator("table.national tbody tr").count() == 0  # nobody is late yet
    page.goto(f"{served}/provinces/TH-57")
    assert "สถจ.เชียงราย" in page.inner_text("main")
    _look(page, "province-dla", folder)


def test_an_office_sends_form1_from_the_browser(served: str, browser, portal: Portal, tmp_path: Path) -> None:
    from tests.support.factories import bkk
    from tests.web.conftest import plan_and_media

    plan_and_media(tmp_path / "o")
    portal.clock.now = bkk(2024, 2, 8, 10)
    folder = _shots(tmp_path)
    page = browser.new_page()
    _sign_in(page, served, "office")
    page.wait_for_url(f"{served}/provinces/TH-50")
    page.click("a:has-text('รายงานผลตามแบบฟอร์ม ๑')")
    page.wait_for_url(f"{served}/provinces/TH-50/steps/3")
    assert "ส่งวันนี้ ทันกำหนด (เหลือ ๑ วันทำการ)" in page.inner_text("main")
    _look(page, "step3", folder)
    page.fill("form.confirm input[name=signer_name]", "นายสมชาย ใจดี")
    page.fill("form.confirm input[name=signer_position]", "ท้องถิ่นจังหวัดเชียงใหม่")
    page.click("form.confirm button.send")
    page.wait_for_selector("text=เสร็จแล้ว", timeout=240_000)  # htmx polls the run until it ends
    _look(page, "step3-sent", folder)
    page.goto(f"{served}/provinces/TH-50/steps/3")
    assert "ส่งแล้ว (ฉบับที่ ๑)" in page.inner_text("main")


def _photo(path: Path, colour: str) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 240), colour).save(path)
    return path


def _survey_xlsx(path: Path) -> Path:
    """The example survey export as Microsoft Forms would give it: an XLSX workbook."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with (EXAMPLES / "survey-TH-50.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    book.save(path)
    return path


def _new_day(page, served: str, portal: Portal, when) -> None:  # type: ignore[no-untyped-def]
    """Weeks later: the clock moved, the old session has expired; sign in again."""
    portal.clock.now = when
    _sign_in(page, served, "office")
    page.wait_for_url(f"{served}/provinces/TH-50")


def _recorded(page, folder: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_url("**/runs/*")
    page.wait_for_selector("text=เสร็จแล้ว", timeout=240_000)  # htmx polls the run until it ends
    _look(page, name, folder)


EXAMPLES = Path(__file__).resolve().parents[2] / "deployments" / "examples"


def test_an_office_completes_its_round_in_the_browser(served: str, browser, portal: Portal, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.support.factories import bkk

    folder = _shots(tmp_path)
    files = tmp_path / "desk"
    files.mkdir()
    page = browser.new_page()
    portal.clock.now = bkk(2024, 1, 10, 10)
    _sign_in(page, served, "office")
    page.wait_for_url(f"{served}/provinces/TH-50")

    # Step 1: the LPA results uploaded, ranked, two topics proposed; one activity added in place; recorded.
    page.click("a:has-text('จัดทำแผนและขั้นตอนการดำเนินงาน')")
    page.wait_for_url(f"{served}/provinces/TH-50/steps/1")
    _look(page, "step1", folder)
    page.set_input_files("input[name=lpa_file]", str(EXAMPLES / "lpa-results-TH-50.csv"))
    page.click("button:has-text('วิเคราะห์ผล LPA และเสนอหัวข้อ')")
    page.wait_for_selector("#proposal")
    assert "หัวข้อสื่อที่เสนอ ๒ เรื่อง" in page.inner_text("#proposal")
    rows = page.locator("#rows tr").count()
    page.click("button:has-text('+ เพิ่มกิจกรรม')")
    expect(page.locator("#rows tr")).to_have_count(rows + 1)
    last = page.locator("#rows tr").last
    last.locator("[name=activity]").fill("ติดตามผลการนำสื่อไปใช้ของ อปท.")
    last.locator("[name=start]").fill("1/3/2567")
    last.locator("[name=end]").fill("15/3/2567")
    _look(page, "step1-proposal", folder)
    page.click("button.send")
    _recorded(page, folder, "step1-recorded")

    # Step 2: two media from the proposed topics, each with the office's own file, and photos of the work.
    page.goto(f"{served}/provinces/TH-50/steps/2")
    assert page.input_value("[name=m1_title]")  # proposed by step 1
    page.fill("[name=m1_content]", "")
    page.click("button:has-text('ตรวจองค์ประกอบของสื่อ')")
    assert "ยังขาด" in page.inner_text("#medium-1")  # named before anything is recorded
    page.fill("[name=m1_content]", "ขั้นตอนการเปิดเผยข้อมูลข่าวสารของ อปท. ตามกฎหมาย")
    page.fill("[name=m2_content]", "การจัดทำบัญชีและรายงานการเงินให้ถูกต้องและทันเวลา")
    page.select_option("[name=m2_format]", "video")
    page.set_input_files("[name=m1_file]", str(_photo(files / "อินโฟกราฟิก.png", "#1f6f8b")))
    video = files / "วีดิทัศน์.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4096)
    page.set_input_files("[name=m2_file]", str(video))
    page.set_input_files(
        "[name=evidence_files]", [str(_photo(files / f"ภาพ{i}.jpg", c)) for i, c in enumerate(("red", "blue"))]
    )
    page.click("button:has-text('ตรวจองค์ประกอบของสื่อ')")
    assert page.locator("text=องค์ประกอบครบทั้ง ๕ ข้อ").count() == 2
    assert "อินโฟกราฟิก.png" in page.inner_text("#medium-1") and "ภาพ1.jpg" in page.inner_text("main")
    _look(page, "step2", folder)
    page.click("button.send")
    _recorded(page, folder, "step2-recorded")

    # Step 3: Form 1 sent (its cost shown first).
    _new_day(page, served, portal, bkk(2024, 2, 8, 10))
    page.goto(f"{served}/provinces/TH-50/steps/3")
    assert "ทันกำหนด" in page.inner_text("main")
    page.fill("form.confirm input[name=signer_name]", "นายสมชาย ใจดี")
    page.fill("form.confirm input[name=signer_position]", "ท้องถิ่นจังหวัดเชียงใหม่")
    page.click("form.confirm button.send")
    page.wait_for_selector("text=เสร็จแล้ว", timeout=240_000)

    # Step 4: two events (a third added and removed in place), photos, the survey XLSX checked then recorded.
    _new_day(page, served, portal, bkk(2024, 3, 1, 10))
    page.goto(f"{served}/provinces/TH-50/steps/4")
    page.click("button:has-text('+ เพิ่มการเผยแพร่')")
    page.click("button:has-text('+ เพิ่มการเผยแพร่')")
    expect(page.locator("#rows tr")).to_have_count(3)
    page.locator("#rows tr").last.locator("button.remove").click()
    expect(page.locator("#rows tr")).to_have_count(2)
    first, second = page.locator("#rows tr").nth(0), page.locator("#rows tr").nth(1)
    first.locator("[name=e_date]").fill("15/2/2567")
    first.locator("[name=e_laos]").fill("อบจ.เชียงใหม่\nเทศบาลนครเชียงใหม่")
    first.locator("[name=e_participants]").fill("85")
    first.locator("[name=e_description]").fill("ชี้แจงในการประชุมประจำเดือน")
    second.locator("[name=e_date]").fill("22/2/2567")
    second.locator("[name=e_channel]").select_option("line_group")
    second.locator("[name=e_count]").fill("120")
    second.locator("[name=e_description]").fill("ส่งสื่อในกลุ่มไลน์ปลัด อปท.")
    page.set_input_files("[name=evidence_files]", str(_photo(files / "ประชุม.jpg", "green")))
    page.set_input_files("[name=survey_file]", str(_survey_xlsx(files / "แบบสำรวจ.xlsx")))
    page.click("button:has-text('ตรวจไฟล์แบบสำรวจ')")
    page.wait_for_selector("#survey [role=status]")
    assert "ผู้ตอบที่ใช้ได้" in page.inner_text("#survey")
    assert page.locator("#rows tr").count() == 2 and "ประชุม.jpg" in page.inner_text("main")  # nothing lost
    _look(page, "step4", folder)
    page.click("button.send")
    _recorded(page, folder, "step4-recorded")

    # Step 5: Form 2 sent; the home page shows the round done.
    _new_day(page, served, portal, bkk(2024, 3, 20, 10))
    page.goto(f"{served}/provinces/TH-50/steps/5")
    page.fill("form.confirm input[name=signer_name]", "นายสมชาย ใจดี")
    page.fill("form.confirm input[name=signer_position]", "ท้องถิ่นจังหวัดเชียงใหม่")
    page.click("form.confirm button.send")
    page.wait_for_selector("text=เสร็จแล้ว", timeout=240_000)
    page.goto(f"{served}/provinces/TH-50")
    assert page.locator("li.step.state-done").count() == 5
    _look(page, "province-done", folder)

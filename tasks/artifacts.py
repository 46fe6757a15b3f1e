"""What DLA reads in the Prefect UI: a markdown report per province and round, the national scoreboard as a
table; each under a stable key, so the UI keeps their history."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from kpi6.models.calendar import BANGKOK
from kpi6.models.inputs import PlanInput
from kpi6.models.provinces import registry
from kpi6.models.round import RoundConfig
from kpi6.models.scoring import ProvinceScore, score_province
from kpi6.models.summary import ProvinceRunSummary
from kpi6.models.text import evidence_addresses
from kpi6.models.thai import STATE_TH
from kpi6.settings import get_settings
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.outputs import province_files
from kpi6.tasks.topics import Analysis


def artifact_key(*parts: str) -> str:
    """Prefect keys take lowercase letters, digits and dashes: `th-50-2567-1`."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


def province_key(code: str, round_id: str) -> str:
    return artifact_key("province", code, round_id)


def scoreboard_key(round_id: str) -> str:
    return artifact_key("scoreboard", round_id)


def province_markdown(
    summary: ProvinceRunSummary,
    score: ProvinceScore,
    files: list[Path],
    evidence: dict[int, list[str]],
    portal: str = "",
) -> str:
    """The province run's artifact. With `portal` (KPI6_PORTAL_URL), documents and the local store's evidence are
    links through the portal, which checks who asks; without it, the server's paths as recorded."""
    lines = [
        f"# {summary.province_code} {summary.province_name_th} · รอบ {summary.round_id}",
        "",
        f"**คะแนน {score.total:.2f}** (คะแนนขั้นตอน {score.points:.2f} − ปรับลด {score.penalty:.2f} · "
        f"ช้า {score.working_days_late} วันทำการ)",
        "",
        "| ขั้นตอน | กำหนด | สถานะ | เสร็จเมื่อ | ช้า (วันทำการ) | รอบนี้ |",
        "|---|---|---|---|---|---|",
    ]
    for s in summary.steps:
        done = s.completed_at.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if s.completed_at else ""
        lines.append(
            f"| {s.step} {s.name_th} | {s.deadline.isoformat()} | {STATE_TH.get(s.state, s.state)} | "
            f"{done} | {s.working_days_late if s.completed_at else ''} | {s.action.value} |"
        )
    code = summary.province_code
    if files:
        lines += ["", "## เอกสาร"]
        lines += [
            f"- [{_md(f.name)}]({portal}/provinces/{code}/documents/{quote(f.name)})" if portal else f"- `{f}`"
            for f in files
        ]
    links: list[tuple[int, str]] = []
    for n, found in sorted(evidence.items()):
        if not portal:
            links += [(n, link) for link in found]
            continue
        for text, address in evidence_addresses(found, code, n):
            url = address if address.startswith(("http://", "https://")) else portal + address
            links.append((n, f"[{_md(text)}]({url})"))
    if links:
        lines += ["", "## หลักฐาน", *[f"- ขั้นตอนที่ {n}: {link}" for n, link in links]]
    return "\n".join(lines)


def _md(text: str) -> str:
    """A link's text with markdown's brackets escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def portal_base() -> str:
    """The portal's address when KPI6_PORTAL_URL is set (artifacts then link through it), else ""."""
    settings = get_settings()
    return settings.portal_url.rstrip("/") if "portal_url" in settings.model_fields_set else ""


@task(cache_policy=NO_CACHE)
def publish_province_report(config: RoundConfig, summary: ProvinceRunSummary, output_dir: str | None) -> str:
    """The province's steps, deadlines, states, lateness, score, documents and evidence, as markdown."""
    code = summary.province_code
    with session_scope() as session:
        facts = repository.round_facts(session=session, round_id=config.id, province_code=code).get(code, {})
        rows = repository.step_states(session=session, province_code=code, round_id=config.id)
        evidence = {n: list(r.evidence) for n, r in rows.items() if r.evidence}
    score = score_province(config, code, facts)
    files = province_files(output_dir, config.id, code)
    key = province_key(code, config.id)
    create_markdown_artifact(
        key=key,
        markdown=province_markdown(summary, score, files, evidence, portal_base()),
        description=f"{code} {summary.province_name_th} · {config.id}",
    )
    return key


# The scoreboard's columns: Thai first (DLA's staff read it), English beside (for scripts and sharing).
SCOREBOARD_COLUMNS = {
    "rank": "อันดับ · rank",
    "name_th": "จังหวัด · province",
    "code": "รหัส · code",
    "total": "คะแนนรวม · total",
    "points": "คะแนนขั้นตอน · points",
    "penalty": "หักล่าช้า · penalty",
    "steps_done": "ขั้นตอนที่เสร็จ · steps done",
    "late_reports": "รายงานที่ส่งช้า · late reports",
    "working_days_late": "วันทำการที่ช้า · working days late",
}


def scoreboard_rows(scores: list[ProvinceScore]) -> list[dict[str, object]]:
    """All provinces ranked as the national report ranks them, under the Thai-and-English headers."""
    from kpi6.models.national import ranked
    from kpi6.models.scoring import score_lines

    rows = []
    for rank, line in ranked(score_lines(scores)):
        values = line.model_dump() | {"rank": rank}
        rows.append({title: values[name] for name, title in SCOREBOARD_COLUMNS.items()})
    return rows


@task(cache_policy=NO_CACHE)
def publish_scoreboard(config: RoundConfig, scores: list[ProvinceScore]) -> str:
    """All 76 provinces, ranked: score, penalty, steps done, late reports."""
    key = scoreboard_key(config.id)
    create_table_artifact(
        key=key, table=scoreboard_rows(scores), description=f"คะแนนตัวชี้วัดที่ 6 · รอบ {config.id} (เรียงตามคะแนนรวม)"
    )
    return key


def run_tags(province_code: str, round_id: str, step: int | None) -> list[str]:
    """The tags DLA filters province runs by in the UI."""
    return [f"province:{province_code}", f"round:{round_id}", *([f"step:{step}"] if step else [])]


ROUND_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,39}")


def tag_run_early(province: str, round_id: str, step: int | None) -> list[str]:
    """Tag the run from its parameters before anything is checked, so that a run failing in its preparation is
    found under its province and round too: the province as the registry names it (its code, whatever spelling
    was given); a round id that is not even a plausible id, and a province the registry does not know, untagged."""
    from kpi6.models.errors import Kpi6Error
    from kpi6.models.provinces import registry

    try:
        code: str | None = registry().get(province).code
    except Kpi6Error:
        code = None
    wanted = [f"province:{code}"] if code else []
    wanted += [f"round:{round_id}"] if ROUND_ID.fullmatch(round_id or "") else []
    wanted += [f"step:{step}"] if code and step else []
    return tag_this_run(wanted) if wanted else []


def tag_this_run(wanted: list[str]) -> list[str]:
    """Add the tags a run started from the UI or the API lacks (the CLI sets them already); its tags after."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return []
    have = list(ctx.flow_run.tags or [])
    missing = [t for t in wanted if t not in have]
    if missing:
        with get_client(sync_client=True) as client:
            client.update_flow_run(ctx.flow_run.id, tags=have + missing)
    return have + missing


def topics_key(code: str, round_id: str) -> str:
    return f"topics-{code.lower()}-{round_id}"


def topics_markdown(label: str, round_id: str, analysis: Analysis, plan: PlanInput) -> str:
    """The ranking, the proposal with its reasons, and the plan as JSON to paste into province-round's form."""
    lines = [
        f"# {label} · {round_id} · หัวข้อสื่อจากผล LPA (proposed topics)",
        "",
        f"ผลการประเมิน LPA: `{analysis.source}` · อปท. {analysis.n_laos:,} แห่ง · "
        f"เกณฑ์ต่ำกว่าร้อยละ {analysis.threshold_percent:g} ของคะแนนเต็ม",
        "",
        "| # | ตัวชี้วัด | ด้าน | ไม่ผ่าน (แห่ง) | ร้อยละ | คะแนนเฉลี่ย (%) |",
        "|---|---|---|---|---|---|",
    ]
    for w in analysis.weaknesses[:10]:
        lines.append(
            f"| {w.rank} | {w.indicator} {w.indicator_name} | {w.aspect.name_th} | "
            f"{w.n_below:,}/{w.n_laos:,} | {100 * w.share_below:.1f} | {w.mean_percent:.1f} |"
        )
    for i, p in enumerate(analysis.proposal, 1):
        lines += [
            "",
            f"## หัวข้อที่ {i}: {p.topic.title_th}",
            "",
            f"{p.topic.aspect.name_th} · ตัวชี้วัด {', '.join(w.indicator for w in p.weaknesses)} · {p.topic.format}",
            "",
            p.background_th,
        ]
    lines += ["", "## แผนและขั้นตอนการดำเนินงาน", "", "| กิจกรรม | เริ่ม | ถึง |", "|---|---|---|"]
    lines += [f"| {a.activity} | {a.start} | {a.end} |" for a in plan.activities]
    lines += [
        "",
        "To accept: run `propose-topics` with `accept: true`. To edit: paste this into "
        "`province-round`'s `inputs.plan` (step 1), change it, and run:",
        "",
        "```json",
        plan.model_dump_json(indent=2, exclude_none=True),
        "```",
    ]
    return "\n".join(lines)


@task(cache_policy=NO_CACHE)
def publish_topics_report(province: str, round_id: str, analysis: Analysis, plan: PlanInput) -> str:
    """The proposal as a markdown artifact, under a stable key per province and round."""
    prov = registry().get(province)
    key = topics_key(prov.code, round_id)
    create_markdown_artifact(
        key=key,
        markdown=topics_markdown(prov.label, round_id, analysis, plan),
        description=f"{prov.code} {prov.name_th} · {round_id} · proposed topics",
    )
    return key

"""LPA results and the topic catalogue at the edge: read a results file, load the catalogue, analyse.

`analyse` is what `kpi6 topics` prints and what step 1 takes its plan from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from kpi6.models.errors import InputError
from kpi6.models.inputs import PlanInput
from kpi6.models.provinces import Province, registry
from kpi6.models.round import PlanningRules, RoundConfig
from kpi6.models.survey import Table
from kpi6.models.weakness import (
    LpaResult,
    Proposal,
    Topic,
    TypeShare,
    Weakness,
    check_results,
    plan_from,
    propose,
    rank_aspects,
    rank_indicators,
)
from kpi6.settings import get_settings
from kpi6.tasks.adapters.files import parse_yaml, read_yaml
from kpi6.tasks.adapters.rounds import load_round
from kpi6.tasks.adapters.spreadsheets import read_table

SHOWN_PROBLEMS = 10
# The columns of an LPA results file as kpi6 writes one (any of RESULT_HEADERS' names reads).
LPA_COLUMNS = ("ชื่อ อปท.", "ประเภท อปท.", "ด้าน", "ตัวชี้วัด", "ชื่อตัวชี้วัด", "คะแนน", "คะแนนเต็ม")


def read_results(path: Path) -> list[LpaResult]:
    """Every row of an LPA results file, checked; a file with any bad row is refused whole."""
    table = read_table(path, what="LPA results file")
    try:
        results, problems = check_results(table)
    except ValueError as exc:
        raise InputError(f"{table.source}: {exc}") from None
    if problems:
        rows = sorted({p.row for p in problems})
        shown = "; ".join(p.line() for p in problems[:SHOWN_PROBLEMS])
        more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        raise InputError(f"{table.source}: {len(rows)} row(s) have problems; nothing was read: {shown}{more}")
    if not results:
        raise InputError(f"{table.source}: no results")
    return results


def _topics_from(data: object, source: str) -> list[Topic]:
    raw = data.get("topics") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise InputError(f"{source}: expected `topics:` with a list of topics")
    topics = []
    for i, t in enumerate(raw, 1):
        try:
            topics.append(Topic.model_validate(t))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            name = t.get("id", "") if isinstance(t, dict) else ""
            raise InputError(f"{source}: topic {i} ({name}), field {where}: {err['msg']}") from None
    return topics


def load_topics(extra: Path | None = None) -> list[Topic]:
    """The packaged catalogue, extended (or, by id, overridden) by DLA's file (KPI6_TOPICS_FILE)."""
    packaged = resources.files("kpi6.deployments").joinpath("topics.yaml").read_text(encoding="utf-8")
    topics = {t.id: t for t in _topics_from(parse_yaml(packaged, source="topics.yaml"), "topics.yaml")}
    extra = extra or get_settings().topics_file
    if extra is not None:
        data = read_yaml(extra, what="KPI6_TOPICS_FILE", follow_links=True)
        topics.update({t.id: t for t in _topics_from(data, str(extra))})
    return list(topics.values())


class Analysis(BaseModel):
    """The ranking and the proposal for one province's LPA results."""

    source: str
    threshold_percent: float
    n_laos: int
    weaknesses: list[Weakness]
    aspects: list[Weakness]
    proposal: list[Proposal]


def analyse(
    path: Path,
    *,
    province: Province | None = None,
    config: RoundConfig | None = None,
    threshold_percent: float | None = None,
    topics: list[Topic] | None = None,
) -> Analysis:
    """Read the results file, rank the weaknesses, propose the topics."""
    return analysed(
        read_results(path),
        source=path.name,
        province=province,
        config=config,
        threshold_percent=threshold_percent,
        topics=topics,
    )


def analyse_rows(
    rows: list[list[object]], *, source: str, province: Province | None = None, config: RoundConfig | None = None
) -> Analysis:
    """The same for rows in the results file's column order (the demo's generated results)."""
    table = Table(source=source, headers=list(LPA_COLUMNS), rows=rows)
    results, problems = check_results(table)
    if problems:
        raise InputError(f"{source}: {problems[0].line()}")
    return analysed(results, source=source, province=province, config=config)


def analysed(
    results: list[LpaResult],
    *,
    source: str,
    province: Province | None = None,
    config: RoundConfig | None = None,
    threshold_percent: float | None = None,
    topics: list[Topic] | None = None,
) -> Analysis:
    rules = config.planning if config else PlanningRules()
    threshold = threshold_percent if threshold_percent is not None else rules.threshold_percent
    weaknesses = rank_indicators(results, threshold_percent=threshold)
    year = config.fiscal_year_be - 1 if config else None  # a round acts on the previous year's assessment
    proposal = propose(
        weaknesses,
        topics if topics is not None else load_topics(),
        province_th=province.name_th if province else "",
        threshold_percent=threshold,
        year_be=year,
    )
    return Analysis(
        source=source,
        threshold_percent=threshold,
        n_laos=len({r.lao_name for r in results}),
        weaknesses=weaknesses,
        aspects=rank_aspects(results, threshold_percent=threshold),
        proposal=proposal,
    )


def proposed_plan(analysis: Analysis, config: RoundConfig, province: Province | None = None) -> PlanInput:
    """The plan for step 1: the proposal's topics and the implementation steps, dates backwards from the deadlines."""
    return plan_from(config, analysis.proposal, rules=config.planning)


class WeaknessLine(BaseModel):
    rank: int
    indicator: str
    indicator_name: str
    aspect: str
    share_below: float
    n_below: int
    n_laos: int
    mean_percent: float
    by_type: dict[str, TypeShare]


class AspectLine(BaseModel):
    rank: int
    aspect: str
    share_below: float
    n_below: int
    n_laos: int
    mean_percent: float


class ProposalLine(BaseModel):
    topic: str
    topic_id: str
    aspect: str
    indicators: list[str]
    format: str
    background_th: str


class TopicsPublic(BaseModel):
    """The ranking, the proposal and the plan as scripts read them (`kpi6 topics --json`, the portal's API)."""

    source: str
    threshold_percent: float
    n_laos: int
    weaknesses: list[WeaknessLine]
    aspects: list[AspectLine]
    proposal: list[ProposalLine]
    plan: list[dict[str, object]] | None


class TopicsProposal(BaseModel):
    """What `propose_from_file` found: the analysis, and the plan when a province and a round were given."""

    analysis: Analysis
    plan: PlanInput | None = None

    def public(self) -> TopicsPublic:
        a = self.analysis
        return TopicsPublic(
            source=a.source,
            threshold_percent=a.threshold_percent,
            n_laos=a.n_laos,
            weaknesses=[
                WeaknessLine(
                    **w.model_dump(include=set(WeaknessLine.model_fields) - {"aspect"}), aspect=w.aspect.name_th
                )
                for w in a.weaknesses
            ],
            aspects=[
                AspectLine(**w.model_dump(include=set(AspectLine.model_fields) - {"aspect"}), aspect=w.aspect.name_th)
                for w in a.aspects
            ],
            proposal=[
                ProposalLine(
                    topic=p.topic.title_th,
                    topic_id=p.topic.id,
                    aspect=p.topic.aspect.name_th,
                    indicators=[w.indicator for w in p.weaknesses],
                    format=p.topic.format,
                    background_th=p.background_th,
                )
                for p in a.proposal
            ],
            plan=self.plan.model_dump(mode="json")["activities"] if self.plan else None,
        )


def propose_from_file(
    path: Path,
    *,
    province: str | None = None,
    round_id: str | None = None,
    threshold_percent: float | None = None,
) -> TopicsProposal:
    """Rank a province's LPA weaknesses from its results file and propose the two topics; with a province and a
    round, the plan for step 1 too (its dates from the round's deadlines)."""
    prov = registry().get(province) if province else None
    config = load_round(round_id) if round_id else None
    analysis = analyse(path, province=prov, config=config, threshold_percent=threshold_percent)
    plan = proposed_plan(analysis, config, prov) if prov and config else None
    return TopicsProposal(analysis=analysis, plan=plan)


def blank_plan(round_id: str) -> PlanInput:
    """Step 1's implementation steps for a round without a proposal (the office types its topics later): the
    same stages and dates as a proposed plan's."""
    config = load_round(round_id)
    return plan_from(config, [], rules=config.planning)

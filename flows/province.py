"""One province's round: the five steps of indicator 6, each a task that knows its deadline."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Annotated, Any

from prefect import Task, flow
from prefect.runtime import flow_run
from pydantic import Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from kpi6.models.errors import DeliveryError, Kpi6Error
from kpi6.models.inputs import ProvinceInputs
from kpi6.models.provinces import registry
from kpi6.models.rules import StepAction, decide_step
from kpi6.models.steps import numbers, spec
from kpi6.models.summary import ProvinceRunSummary, step_log_lines
from kpi6.tasks.adapters.limits import untagged_tasks
from kpi6.tasks.adapters.parameters import load_inputs
from kpi6.tasks.artifacts import publish_province_report, run_tags, tag_run_early, tag_this_run
from kpi6.tasks.run import prepare_run, record_failure, run_log, summarize_run


def step_task(number: int) -> Task[..., bool]:
    """The Prefect task that performs step `number`, as its declaration names it (models/steps.py). It is
    called as `task(ctx, data, checked, force)`: `checked` is `data` as prepare_run validated it."""
    module, name = spec(number).task.split(":")
    return getattr(importlib.import_module(module), name)


def run_name() -> str:
    """`TH-50 เชียงใหม่ · 2567-1 · step 3`, so the UI's list explains itself."""
    params = flow_run.get_parameters()
    try:
        label = registry().get(params["province"]).label
    except Kpi6Error:
        label = str(params["province"])
    step = params.get("step")
    return f"{label} · {params['round_id']} · step {step if step else f'{numbers()[0]}–{numbers()[-1]}'}"


def _shown(title: str, **extra: JsonValue) -> Any:
    """A parameter's title in the Prefect UI's run form, Thai first (Prefect titles a field by its Python name and
    takes its description from the docstring's Args; a title in `json_schema_extra` is the one the form shows)."""
    return Field(json_schema_extra={"title": title, **extra})


# The UI's form offers the 76 provinces as a choice list, "TH-50 เชียงใหม่" first; the bare codes follow, as the
# server checks a run's parameters against this list and scripts name a province by its code (`--param
# province=TH-50`). Called directly, a Thai or an English name works too (the registry reads each).
ProvinceParam = Annotated[
    str, _shown("จังหวัด · province", enum=[p.label for p in registry()] + [p.code for p in registry()])
]
RoundParam = Annotated[str, _shown("รอบการประเมิน · round")]
StepParam = Annotated[int | None, _shown("ขั้นตอน · step")]
InputsParam = Annotated[ProvinceInputs | None, _shown("ข้อมูลของแต่ละขั้นตอน · inputs")]
ForceParam = Annotated[bool, _shown("ทำขั้นตอนที่เสร็จแล้วซ้ำ · force")]
# kpi6's own parameters (the clock, the output folder, a large input's file, the actor) are kept out of the form:
# SkipJsonSchema leaves them out of the schema Prefect shows, and the flow still takes them (the portal, scale-out
# and tests pass them; the server checks a run's parameters only against the fields the schema names).
NowParam = SkipJsonSchema[datetime | None]
OutputParam = SkipJsonSchema[str | None]
LpaParam = Annotated[str | None, _shown("ไฟล์ผลการประเมิน LPA บนเซิร์ฟเวอร์ · LPA results file")]
InputsFileParam = SkipJsonSchema[str | None]
ActorParam = SkipJsonSchema[str | None]


def tell_dla(flow, flow_run, state) -> None:
    """State hook: a province run that failed or crashed is reported to DLA on the alert channels — unless it
    was refused for the office's own input (an error it can fix, told at once to whoever ran it; nothing was
    written)."""
    from kpi6.tasks.run import failed_steps_alert

    if state.is_failed():
        cause = state.result(raise_on_failure=False)
        if isinstance(cause, Kpi6Error) and not isinstance(cause, DeliveryError):
            return
    failed_steps_alert(dict(flow_run.parameters), state.message or "")


@flow(
    name="province-round",
    flow_run_name=run_name,
    validate_parameters=True,
    on_failure=[tell_dla],
    on_crashed=[tell_dla],
)
def province_round(
    province: ProvinceParam,
    round_id: RoundParam,
    step: StepParam = None,
    inputs: InputsParam = None,
    force: ForceParam = False,  # noqa: FBT002
    now: NowParam = None,
    output_dir: OutputParam = None,
    lpa_results: LpaParam = None,
    inputs_file: InputsFileParam = None,
    actor: ActorParam = None,
) -> ProvinceRunSummary:
    """Run one province's steps for a round (or only `step`); completed steps are left alone unless forced.

    Forms and media are written to `<output_dir>/<round>/<province code>/` (default: the data folder). With
    `lpa_results` (a CSV/XLSX file of the province's LPA results) and no plan in `inputs`, step 1 records the
    plan `kpi6 topics` proposes: the two weakest indicators' topics and the steps dated back from the deadlines.
    Inputs too large for Prefect's parameters come as `inputs_file` (see tasks/adapters/parameters.py).
    `actor` is who the audit log names (the portal's signed-in user; default KPI6_ACTOR or the OS user, which
    the log records beside it in any case). The Args below are the descriptions the Prefect UI's form shows.

    Args:
        province: จังหวัดที่ทำงาน (เลือกจากรายการ หรือพิมพ์รหัส TH-50 / ชื่อไทย / ชื่ออังกฤษ). The province.
        round_id: รอบการประเมิน เช่น 2567-1 (ปีงบประมาณ พ.ศ. และรอบที่ 1 หรือ 2). The round, e.g. 2567-1.
        step: ทำเฉพาะขั้นตอนนี้ (1-5); ว่างไว้ = ทุกขั้นตอนที่มีข้อมูล. Only this step; empty for every step given.
        inputs: ข้อมูลของแต่ละขั้นตอน (แผน สื่อ แบบฟอร์ม การเผยแพร่); สำนักงานจังหวัดกรอกผ่านพอร์ทัล. Each step's
            input; offices fill it in the portal.
        force: ทำขั้นตอนที่เสร็จแล้วซ้ำ (บันทึกในประวัติการแก้ไข). Re-run a step already done (audited).
        now: kpi6's and the tests' clock (not in the form); empty = now.
        output_dir: where the documents go (not in the form); empty = the configured folder.
        lpa_results: ไฟล์ผลการประเมิน LPA บนเซิร์ฟเวอร์ (CSV/XLSX) เพื่อเสนอแผนขั้นตอนที่ 1. A server file.
        inputs_file: inputs too large for a parameter, kept by kpi6 as a file (not in the form).
        actor: who the audit log names (not in the form)."""
    with untagged_tasks():  # the run keeps its tags; its tasks take none (see untagged_tasks)
        tag_run_early(province, round_id, step)  # a run that fails before its first step is found by them too
        inputs = load_inputs(inputs_file) if inputs_file else inputs or ProvinceInputs()
        ctx, states, inputs, checked = prepare_run(
            province, round_id, inputs, now, actor=actor, output_dir=output_dir, lpa_results=lpa_results
        )
        tag_this_run(run_tags(ctx.province.code, ctx.config.id, step))
        actions: dict[int, StepAction] = {}
        for n in [step] if step else numbers():
            data = inputs.for_step(n)
            actions[n] = decide_step(
                ctx.config, n, states, has_input=data is not None, force=force, explicit=step is not None
            )
            if actions[n] is not StepAction.run:
                continue
            try:
                step_task(n)(ctx, data, checked[n], force)
            except DeliveryError as exc:  # the mail server or Drive failed: the step stays not done, and says why
                record_failure(ctx, n, str(exc))
                raise
            except Kpi6Error:
                raise
            except Exception as exc:
                record_failure(ctx, n, f"{type(exc).__name__}: {exc}")
                raise
            states[n] = "done"
        summary = summarize_run(ctx, actions)
        for line in step_log_lines(summary):
            run_log(line)
        publish_province_report(ctx.config, summary, output_dir)
        return summary

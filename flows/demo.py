"""The national demo: all 76 provinces run a round on generated inputs, then the score table."""

from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

from prefect import flow, tags
from prefect.context import SettingsContext, get_settings_context
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

from kpi6.flows.province import province_round
from kpi6.flows.scoring import score_round
from kpi6.models.inputs import ProvinceInputs
from kpi6.models.provinces import registry
from kpi6.models.scoring import ProvinceScore
from kpi6.settings import get_settings
from kpi6.tasks.artifacts import run_tags
from kpi6.tasks.demo import demo_inputs, demo_runs, generate_demo_inputs
from kpi6.tasks.outputs import output_root
from kpi6.tasks.render.processes import rendering_processes
from kpi6.tasks.run import prepare_round, reset_round_data
from kpi6.tasks.scoring import export_scores_csv


def _run_province(
    settings: SettingsContext, code: str, round_id: str, inputs: ProvinceInputs, out_dir: str | None, tag: str
) -> None:
    # Tagged when created, as the CLI does; run under `settings` (see run_provinces). Each run's clock is the
    # moment its report goes out, so a late office's e-mail is sent late (see demo_runs).
    with tags(*run_tags(code, round_id, None), tag), settings:
        for part, clock in demo_runs(inputs):
            province_round(province=code, round_id=round_id, inputs=part, now=clock, output_dir=out_dir)


def run_provinces(
    round_id: str, chosen: list[tuple[str, ProvinceInputs]], out_dir: str | None, *, parallel: int, tag: str
) -> None:
    """Each chosen province's runs as subflows of the calling flow, `parallel` provinces at a time (threads)."""
    # The province runs start no heartbeat thread of their own: they live in this run's process, whose
    # heartbeat stands for all, and ending a run waits up to 1 s for that thread to stop. These settings are
    # built once here, not per province: each build costs about 20 ms.
    current = get_settings_context()
    quiet = current.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="province") as pool:
        # Each thread runs in a copy of this flow's context, so the province runs are its subflows.
        runs = [
            pool.submit(
                contextvars.copy_context().run,
                _run_province,
                SettingsContext(profile=current.profile, settings=quiet),
                code,
                round_id,
                pi,
                out_dir,
                tag,
            )
            for code, pi in chosen
        ]
        for run in runs:
            run.result()


@flow(name="national-demo", flow_run_name="national demo · {round_id}")
def national_demo(
    round_id: str = "2567-1", seed: int = 6, out_dir: str | None = None, provinces: list[str] | None = None
) -> list[ProvinceScore]:
    """Start the round afresh, run every province (or only `provinces`) on sample inputs, score them all.

    Province runs go a few at a time (KPI6_DEMO_PARALLEL): each is its own flow run, as when 76 offices
    trigger theirs, and most of a run's cost in Prefect is waiting, not work. Their documents are drawn in
    worker processes, one per core (KPI6_RENDER_PROCESSES), so rendering uses every core. With `out_dir`, each
    province's forms and media land in `<out_dir>/<round>/<code>/`, the scores in `<out_dir>/scores.csv` and the
    national report in `<out_dir>/national-<round>.pdf` and `.docx`."""
    config = prepare_round(round_id)
    reset_round_data(round_id, output_dir=out_dir)
    inputs = generate_demo_inputs(config, seed, str(output_root(out_dir) / "inputs" / round_id))
    chosen = [(code, pi) for code, pi in inputs.items() if not provinces or code in provinces]
    processes = get_settings().render_processes
    with rendering_processes((os.cpu_count() or 1) if processes is None else processes):
        run_provinces(round_id, chosen, out_dir, parallel=get_settings().demo_parallel, tag="demo")
        scores = score_round(round_id, report=out_dir is not None, output_dir=out_dir)
    if out_dir:
        export_scores_csv(scores, f"{out_dir}/scores.csv")
    return scores


@flow(name="demo-batch", flow_run_name="demo batch · {round_id} · {provinces[0]}…")
def demo_batch(round_id: str, seed: int, provinces: list[str], out_dir: str | None = None, parallel: int = 4) -> int:
    """The scale-out mode's unit of work: the listed provinces' runs on the demo's sample inputs (the seed's, as
    `scale_out submit` shares them out), each province's runs subflows of this one, `parallel` at a time; no
    reset, no scoring. A worker starts one process per batch, not per province run (each start imports Prefect
    and kpi6 again: seconds of CPU). Returns how many provinces ran."""
    config = prepare_round(round_id)
    inputs = demo_inputs(config, seed)
    codes = [registry().get(p).code for p in provinces]  # an unknown province: one clear error, nothing run
    run_provinces(round_id, [(code, inputs[code]) for code in codes], out_dir, parallel=parallel, tag="scale-out")
    return len(codes)

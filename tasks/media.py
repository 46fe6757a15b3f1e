"""Step 2: two media with their five elements (จัดทำสื่อ 2 เรื่อง); those the office did not link are
generated (an infographic, a handbook or e-book) and stored as evidence."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from kpi6.models.errors import InputError
from kpi6.models.forms import (
    MediumDocument,
    medium_document,
)
from kpi6.models.inputs import (
    MediaFormat,
    MediaInput,
    MediaSetInput,
    media_problem,
)
from kpi6.models.rules import ValidatedStep, validate_step
from kpi6.models.steps import by_key
from kpi6.tasks.adapters.evidence import folder_parts, store_evidence
from kpi6.tasks.outputs import evidence_store, province_folder, write_files
from kpi6.tasks.render.documents import render_handbook, render_infographic
from kpi6.tasks.render.processes import render_all
from kpi6.tasks.run import RunContext, record_step, store_step_evidence


@task(cache_policy=NO_CACHE)
def produce_media(ctx: RunContext, media: MediaSetInput, checked: ValidatedStep, force: bool = False) -> bool:  # noqa: FBT001, FBT002
    """Step 2: generate the media the office did not link (the five required elements were checked with the
    input); what is recorded is the media with their links."""
    step = by_key()["media"]
    generated, hashes = generate_media(ctx, media)
    # the generated media are a new input (each now has its link): checked as such, once
    result = (
        checked.model_copy() if generated == media else validate_step(ctx.config, step.number, generated, now=ctx.now)
    )
    media = generated
    _folder, *stored = store_step_evidence(ctx, step, media.evidence)
    result.evidence = [m.link for m in media.media if m.link] + stored
    result.file_hashes = hashes
    return record_step(ctx, result, force=force)


def media_files(index: int, medium_doc: MediumDocument, fmt: MediaFormat) -> dict[str, bytes]:
    [files] = all_media_files([(index, medium_doc, fmt)])
    return files


def all_media_files(media: list[tuple[int, MediumDocument, MediaFormat]]) -> list[dict[str, bytes]]:
    """The files of each medium (index, document, format), drawn at once on every core when the run renders in
    processes (tasks/render/processes.py)."""
    drawn = render_all(
        [(render_infographic if fmt is MediaFormat.infographic else render_handbook, (doc,)) for _, doc, fmt in media]
    )
    files = []
    for (index, _doc, fmt), out in zip(media, drawn, strict=True):
        if fmt is MediaFormat.infographic:
            pdf, png = out
            files.append({f"medium-{index}-infographic.pdf": pdf, f"medium-{index}-infographic.png": png})
        else:
            files.append({f"medium-{index}-{fmt.value}.pdf": out})
    return files


def generate_media(ctx: RunContext, media: MediaSetInput) -> tuple[MediaSetInput, dict[str, str]]:
    """Generate the media the office did not link (infographic, handbook, e-book); each gets its link."""
    problem = media_problem(media.media)
    if problem:  # checked before any file is made, even for inputs built without validation
        raise InputError(problem)
    code, round_id = ctx.province.code, ctx.config.id
    store = evidence_store(ctx.output_dir)
    folder = province_folder(ctx.output_dir, round_id, code)
    hashes: dict[str, str] = {}
    media_out = []
    to_draw = [(i, medium_document(m, ctx.config), m.format) for i, m in enumerate(media.media, start=1) if m.generated]
    drawn = dict(zip([i for i, _, _ in to_draw], all_media_files(to_draw), strict=True))
    for i, m in enumerate(media.media, start=1):
        if m.generated:
            files = drawn[i]
            hashes.update(write_files(folder, files))
            parts = folder_parts(round_id, code, by_key()["media"].evidence_fields[0])
            links = [store.put_bytes(parts, name, data).link for name, data in files.items()]
            m = m.model_copy(update={"link": links[0]})
        elif m.file and not m.link:  # the office's own file: stored as evidence, its link the medium's
            parts = folder_parts(round_id, code, by_key()["media"].evidence_fields[0])
            [link] = store_evidence(store, parts, [m.file])
            m = m.model_copy(update={"link": link})
        media_out.append(m)
    return media.model_copy(update={"media": media_out}), hashes


def preview_medium(round_id: str, medium: MediaInput, index: int = 1) -> bytes:
    """The PDF kpi6 would generate for a medium (its infographic, handbook or e-book), nothing written: the
    portal shows it before the office records step 2."""
    from kpi6.tasks.adapters.rounds import load_round

    if not medium.generated:
        raise InputError("this medium is the office's own (a link or a file): kpi6 generates nothing for it")
    missing = medium.missing_elements()
    if missing:
        raise InputError(f"medium {index} lacks: {', '.join(missing)}")
    files = media_files(index, medium_document(medium, load_round(round_id)), medium.format)
    return next(data for name, data in files.items() if name.endswith(".pdf"))

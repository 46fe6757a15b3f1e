"""A province's pages: its home (the five steps as a timeline, the score, files and evidence) and its JSON
twin. Every route takes `{code}` through `province_for`: another province's user gets 404."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from kpi6.models.provinces import Province
from kpi6.models.text import evidence_addresses
from kpi6.tasks.status import ProvinceView, province_view
from kpi6.web import pages
from kpi6.web.deps import User, output_dir, province_for, round_of, today

router = APIRouter()
ThisProvince = Annotated[Province, Depends(province_for)]


def view_of(request: Request, province: Province) -> ProvinceView:
    """The province as of the portal's day, in the round it shows."""
    return province_view(province.code, round_of(request), as_of=today(request), output_dir=output_dir())


@router.get("/provinces/{code}", response_class=HTMLResponse, include_in_schema=False)
def province_home(request: Request, province: ThisProvince) -> HTMLResponse:
    return pages.render(request, "province.html", view=view_of(request, province))


@router.get("/api/provinces/{code}")
def province_api(request: Request, province: ThisProvince) -> ProvinceView:
    """What the province's home page shows: steps (number, deadline, state, working days late), score, and its
    evidence as addresses to open (a local evidence store's files through the portal, never a server path)."""
    view = view_of(request, province)
    evidence = {
        number: [url for _, url in evidence_addresses(entries, view.code, number)]
        for number, entries in view.evidence.items()
    }
    return view.model_copy(update={"evidence": evidence})


@router.get("/api/openapi.json", include_in_schema=False)
def api_description(request: Request, user: User) -> JSONResponse:
    """The portal's API (OpenAPI), for signed-in users."""
    return JSONResponse(request.app.openapi())


# How a kept file is served: shown in the browser (PDF, images) or downloaded; never run (nosniff, no script).
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv; charset=utf-8",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
SHOWN = (".pdf", ".png", ".jpg", ".jpeg", ".mp4", ".mov")


def _file_response(path: Path, name: str) -> FileResponse:
    ext = Path(name).suffix.lower()
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(ext, "application/octet-stream"),
        filename=name,
        content_disposition_type="inline" if ext in SHOWN else "attachment",
        headers={
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"
        },
    )


@router.get("/provinces/{code}/files/{upload_id}", include_in_schema=False)
def uploaded_file(request: Request, province: ThisProvince, upload_id: str) -> FileResponse:
    """A file the province uploaded (its id is its SHA-256); another province's id is not found."""
    from kpi6.models.errors import Kpi6Error
    from kpi6.tasks.uploads import kept

    try:
        upload = kept(round_of(request), province.code, upload_id)
    except Kpi6Error:
        raise HTTPException(404) from None
    return _file_response(Path(upload.path), upload.name)


@router.get("/provinces/{code}/documents/{name}", include_in_schema=False)
def document(request: Request, province: ThisProvince, name: str) -> FileResponse:
    """A form or medium the province's runs wrote (only a name its folder lists: never a path)."""
    from kpi6.tasks.outputs import province_files

    found = {p.name: p for p in province_files(output_dir(), round_of(request), province.code)}
    if name not in found or found[name].is_symlink():
        raise HTTPException(404)
    return _file_response(found[name], name)


@router.get("/provinces/{code}/evidence/{number}/{index}", include_in_schema=False)
def evidence_item(request: Request, province: ThisProvince, number: int, index: int) -> FileResponse:
    """A recorded evidence entry of a step that is a file in the local evidence store (its `file://` link opens
    nothing in an office's browser); only an entry the province's record lists, by its place in the list."""
    from kpi6.tasks.outputs import local_evidence_file

    entries = view_of(request, province).evidence.get(number, [])
    path = (
        local_evidence_file(output_dir(), round_of(request), province.code, entries[index])
        if 0 <= index < len(entries)
        else None
    )
    if path is None:
        raise HTTPException(404)
    return _file_response(path, path.name)

"""A workspace as one zip: every output (media carrying its recipe, plus sidecars) and every trained
model, so a visitor can take their work home and bring it back. Importing checks each file as the
studio would (a recipe that reads, a checkpoint that loads without pickled code) and skips the rest."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

from engines import checkpoints
from engines import recipe as recipes
from engines.archive import safe_extract
from engines.workspace import Workspace

ENGINES = ("paint", "stylize", "sound", "words")
MEDIA = (".png", ".gif", ".wav", ".txt", ".mp4")
MAX_IMPORT_BYTES = 1_000_000_000


def export_zip(
    ws: Workspace, dest: str | os.PathLike, ids: Iterable[str] | None = None, with_models: bool = True
) -> Path:
    """Write the workspace's outputs (all, or those in `ids`) and models to the zip `dest`:
    `outputs/<id>.<ext>` (+ `.recipe.json` sidecars) and `models/<engine>/<name>.pt`."""
    dest = Path(dest)
    store = ws.store
    outs = [store.get(i) for i in ids] if ids is not None else store.list()
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for out in outs:
            zf.write(out.path, f"outputs/{out.path.name}")
            zf.writestr(f"outputs/{out.id}.json", json.dumps({"title": out.title, "created": out.created}))
            sidecar = Path(str(out.path) + recipes.SIDECAR_SUFFIX)
            if sidecar.exists():
                zf.write(sidecar, f"outputs/{sidecar.name}")
            extra = out.path.with_suffix(".mp4")  # a morph's MP4 kept beside its GIF
            if extra != out.path and extra.exists():
                zf.write(extra, f"outputs/{extra.name}")
        inputs = store.root / "inputs"
        for kept in sorted(inputs.iterdir()) if inputs.is_dir() else []:
            zf.write(kept, f"outputs/inputs/{kept.name}")
        if with_models and ids is None:
            for engine in ENGINES:
                folder = ws.models_dir / engine
                for model in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
                    zf.write(model, f"models/{engine}/{model.name}")
    return dest


def import_zip(ws: Workspace, zip_path: str | os.PathLike, workdir: str | os.PathLike) -> tuple[int, int, int]:
    """Bring a zip made by `export_zip` (or any zip of Atelier files) into the workspace; returns
    (outputs added, models added, files skipped). Unpacks under `workdir`; refuses unsafe zips and
    zips that would not fit the workspace's quota."""
    root = safe_extract(zip_path, Path(workdir) / "unpacked", max_bytes=MAX_IMPORT_BYTES)
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    ws.check_room(sum(p.stat().st_size for p in files))
    store = ws.store
    outputs = models = skipped = 0
    for path in sorted(files):
        if path.parent.name == "inputs":  # inputs outputs were made from, kept by content
            store.keep_input(path, path.suffix)
            continue
        if path.suffix.lower() == ".pt":
            engine = path.parent.name
            if engine not in ENGINES or not _loads(path, engine):
                skipped += 1
                continue
            target = _free_name(ws.engine_models_dir(engine), path.name)
            shutil.copyfile(path, target)
            models += 1
        elif path.suffix.lower() in MEDIA and not path.name.endswith(recipes.SIDECAR_SUFFIX):
            if path.suffix.lower() == ".mp4":
                continue  # travels with its GIF
            if store.adopt(path, *_kept_as(path)) is None:
                skipped += 1
            else:
                outputs += 1
        elif not path.name.endswith((recipes.SIDECAR_SUFFIX, ".json")):
            skipped += 1
    return outputs, models, skipped


def _kept_as(media: Path) -> tuple[str | None, float | None]:
    """The title an exported output had and when it was made (from its small record beside it), if
    known: an imported Gallery keeps its order and dates."""
    try:
        record = json.loads(media.with_suffix(".json").read_text(encoding="utf-8"))
        title, created = record.get("title"), record.get("created")
    except (OSError, ValueError, AttributeError):
        return None, None
    title = str(title)[:200] if title else None
    valid = isinstance(created, (int, float)) and not isinstance(created, bool) and 0 < created <= time.time() + 86400
    return title, float(created) if valid else None


def _loads(path: Path, engine: str) -> bool:
    try:
        checkpoints.load(path, engine=engine)
        return True
    except (checkpoints.CheckpointError, ValueError, OSError):
        return False


def _free_name(folder: Path, name: str) -> Path:
    target, n = folder / name, 1
    while target.exists():
        n += 1
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
    return target

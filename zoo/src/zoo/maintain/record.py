"""``python -m zoo.maintain.record NAME``: evaluate a model and record the figures in its card.

Runs :func:`zoo.evaluate` as ``colddiff evaluate`` does and writes the result into the model's
folder (its ``config.json`` and card ``README.md``; by default the folder in the package
source), from which docs/models.md and docs/results.md are generated. With ``--rows`` the
rows measured join the rows already recorded (same images, seed and metric), so one slow row
can be measured alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from samplers.folders import CARD, CONFIG, write_atomically

from ..batch_cache import kept_on_interrupt
from ..cards import render_card
from ..commands.common import split_and_count
from ..evaluate import Evaluation, evaluate, setting_of
from ..pretrained import load
from ..registry import model_folder


def _check_comparable(recorded: dict[str, Any], model: str, **measured: str) -> None:
    for key, value in measured.items():
        if recorded.get(key, value) != value:
            raise ValueError(f"the recorded rows of {model} were measured with {key} "
                             f"{recorded[key]!r}, these with {value!r}: measure them the same "
                             "way (--n, --seed, the same weights), or record all rows anew")


def merge_metrics(recorded: dict[str, Any] | None, measured: dict[str, Any],
                  order: Sequence[str] = ()) -> dict[str, Any]:
    """The rows of ``measured`` (``Evaluation.to_dict()``) joined to those of ``recorded``,
    replacing rows of the same name, in ``order`` (rows not in it last). Both must come from the
    same setting (images, split, seed), Frechet metric and weights (``weights_sha256``, where
    both record it); otherwise the figures would not be comparable, and this is an error."""
    if not recorded:
        return measured
    _check_comparable(recorded, measured["model"], setting=measured["setting"],
                      fid_name=measured["fid_name"],
                      **({"weights_sha256": measured["weights_sha256"]}
                         if "weights_sha256" in measured else {}))
    rows = {**recorded["rows"], **measured["rows"]}
    ranked = sorted(rows, key=lambda row: order.index(row) if row in order else len(order))
    merged = Evaluation(model=measured["model"], setting=measured["setting"],
                        fid_name=measured["fid_name"],
                        rows={row: rows[row] for row in ranked}).to_dict()
    return {**merged, **({"weights_sha256": measured["weights_sha256"]}
                         if "weights_sha256" in measured else {})}


def _folder(name: str, folder: Path | None) -> tuple[Path, dict[str, Any]]:
    """The model's folder (the package's by default) and its record."""
    folder = folder or model_folder(name)
    return folder, json.loads((folder / CONFIG).read_text(encoding="utf-8"))


def recorded_metrics(name: str, folder: Path | None = None, *,
                     subset: str | None = None) -> dict[str, Any] | None:
    """The evaluation recorded in the folder of model ``name`` (None if none is): its main
    one, or the one of another ``subset`` of images (its setting)."""
    entry = _folder(name, folder)[1]
    if subset is None:
        return entry.get("metrics")
    return next((m for m in entry.get("subsets", []) if m["setting"] == subset), None)


def record_metrics(name: str, metrics: dict[str, Any], folder: Path | None = None, *,
                   merge: bool = False, order: Sequence[str] = (),
                   subset: bool = False) -> Path:
    """Write an evaluation (``Evaluation.to_dict()``) into the record and card of model
    ``name``: in place of the recorded one, or (``merge``) joined to it by
    :func:`merge_metrics`. With ``subset`` it is recorded beside the main evaluation, as the
    figures of other images (the first 1,000 of a split, say), in place of one of the same
    setting. The weights and their checksums are not touched."""
    folder, entry = _folder(name, folder)
    subsets = entry.get("subsets", [])
    recorded = (next((m for m in subsets if m["setting"] == metrics["setting"]), None)
                if subset else entry.get("metrics"))
    if recorded and "weights_sha256" not in recorded:  # recorded before the digest was: these
        recorded = {**recorded, "weights_sha256": entry["sha256"]["model.safetensors"]}
    made = merge_metrics(recorded, metrics, order) if merge else metrics
    if subset:
        entry["subsets"] = [m for m in subsets if m["setting"] != metrics["setting"]] + [made]
    else:
        entry["metrics"] = made
    write_atomically(folder / CONFIG, json.dumps(entry, indent=2) + "\n")
    write_atomically(folder / CARD, render_card(entry))
    return folder / CONFIG


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.record",
                                description=__doc__.splitlines()[0])
    p.add_argument("model", help="a model of the registry")
    p.add_argument("--n", type=int, default=1000, help="how many images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--data-dir", type=Path, help="folder of the data files")
    p.add_argument("--rows", nargs="+", metavar="PREFIX",
                   help="measure only the rows whose names start with these (default: all) and "
                        "join them to the rows recorded")
    p.add_argument("--replace", action="store_true",
                   help="with --rows, drop the rows recorded before")
    p.add_argument("--split", choices=("test", "train"), default="test",
                   help="the images measured against (generation models: the reference; for "
                        "AFHQ, issue 28 records the 500 test cats and, with --also "
                        "train:1000, 1,000 training cats)")
    p.add_argument("--reference", type=int, metavar="N",
                   help="generation models: compare with the first N images of --split "
                        "(default: --n, or all of the split where it holds fewer)")
    p.add_argument("--kid", action="store_true", help="generation models: KID as well")
    p.add_argument("--start", type=int, default=0, metavar="I",
                   help="restorers: the --n images from image I on")
    p.add_argument("--blocks", type=int, metavar="K",
                   help="restorers: each block of K images measured alone too")
    p.add_argument("--subset", action="store_true",
                   help="record these figures beside the main ones, as those of other images "
                        "(the first 1,000 of a split where the main ones are of all)")
    p.add_argument("--also", type=split_and_count, action="append", default=[],
                   metavar="SPLIT:N",
                   help="generation models: measure the same images against the first N images "
                        "of SPLIT too, recorded beside the main figures (repeatable; issue 28's "
                        "AFHQ cats: --split test --reference 500 --also train:1000)")
    p.add_argument("--folder", type=Path,
                   help="the model folder to write (default: the zoo package's)")
    p.add_argument("--cache", type=Path, metavar="FOLDER",
                   help="keep each batch's images in FOLDER as they are made, so that the "
                        "same command run again after a stop goes on from them (an hours-long "
                        "generator's rows across sessions)")
    args = p.parse_args(argv)
    try:
        return _record(args)
    except (ValueError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"{p.prog}: error: {message}", file=sys.stderr)
        return 2


def _record(args: argparse.Namespace) -> int:
    folder, _ = _folder(args.model, args.folder)
    model = load(folder)
    weights = json.loads((folder / CONFIG).read_text())["sha256"]["model.safetensors"]
    merge = bool(args.rows) and not args.replace
    setting = setting_of(model, args.n, args.split, args.seed, reference=args.reference,
                         start=args.start)
    recorded = recorded_metrics(args.model, args.folder,
                                subset=setting if args.subset else None) if merge else None
    if recorded:                        # fail before a long evaluation, not after it
        _check_comparable(recorded, model.name, setting=setting)
    with kept_on_interrupt(args.cache, "record"):
        result = evaluate(model, n=args.n, split=args.split, seed=args.seed,
                          batch_size=args.batch_size, data_dir=args.data_dir, rows=args.rows,
                          reference=args.reference, kid=args.kid, start=args.start,
                          blocks=args.blocks, also=args.also, cache=args.cache, progress=True)
    for index, measured in enumerate([result, *result.also]):
        print(f"{measured.model}: {measured.setting}\n\n{measured.table()}")
        if measured.blocks:
            print(f"\n{measured.block_table()}")
        figures = {key: value for key, value in measured.to_dict().items() if key != "also"}
        path = record_metrics(args.model, {**figures, "weights_sha256": weights},
                              args.folder, merge=merge, order=model.row_names(),
                              subset=args.subset or index > 0)
        print(f"recorded in {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

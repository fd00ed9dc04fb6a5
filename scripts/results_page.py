"""Write docs/results.md: the zoo's measured tables next to the paper's numbers.

The measured rows come from the registry (``python -m zoo.maintain.record NAME``) and, for blur
diffusion, from ``docs/data/blur-diffusion-mnist.json`` (the ``results.json`` of
``scripts/blur_diffusion_experiment.py evaluate``, with ``notes`` and ``figure_caption`` added
by hand, and the rows of evaluations with other ``--seed`` values under ``repeats``,
``{seed: {variant: rows}}``); the paper's are transcribed in docs/data/paper-numbers.json
from cold-diffusion.md, Tables 1-6 and A.7, and blur-diffusion.md, Table 1. Run from the
repository root:

    python scripts/results_page.py

tests/zoo/test_zoo_docs.py checks that the page matches the registry.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import zoo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learning_curve import fid_curve

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = json.loads((ROOT / "docs/data/paper-numbers.json").read_text())
"""The papers' numbers (docs/data/paper-numbers.json): each zoo model's table rows (FID, SSIM,
RMSE), issue 14's RMSE targets, Table 5, blur diffusion's Table 1 and notes on the rows."""

PAPER = {name: (entry["table"], {row: tuple(v) for row, v in entry["rows"].items()})
         for name, entry in NUMBERS["paper_rows"].items()}

TARGETS = {name: (t["tacos_rmse"], t["direct_rmse"], t["tolerance"])
           for name, t in NUMBERS["targets"].items()}


def targets_section() -> list[str]:
    """Where each restorer stands against the RMSE it should reach (issue 14)."""
    entries = {e["name"]: e for e in zoo.list_models()}
    lines = ["## Targets: the paper's restored RMSE", "",
             "Each restorer should come within 10 % (MNIST) or 15 % (CIFAR-10) of the paper's "
             "TACoS and direct RMSE, or below them, on the whole test set (the paper's tables "
             "use it; the first 1,000 CIFAR-10 test images are all airplanes, which degrade "
             "otherwise: Degraded RMSE 0.127 against 0.136 for cifar10-blur; the next section "
             "gives both). A model trained on old settings, or not yet, is "
             "marked so; its section below says how far it is.", "",
             "| model | steps | n | TACoS RMSE (paper) | direct RMSE (paper) | target met |",
             "|---|---|---|---|---|---|"]
    for name, (tacos, direct, tolerance) in TARGETS.items():
        entry = entries.get(name)
        metrics = (entry or {}).get("metrics")
        if not metrics:
            lines.append(f"| `{name}` | not trained | | ({tacos}) | ({direct or '-'}) | no |")
            continue
        rows = metrics["rows"]
        ours = [(rows["Sampled (TACoS)"]["RMSE"], tacos)]
        if direct is not None:
            ours.append((rows["Direct"]["RMSE"], direct))
        met = all(value <= paper * (1 + tolerance) for value, paper in ours)
        variant = (((entry.get("run") or {}).get("degradation") or {}).get("arguments")
                   or {}).get("variant")
        cells = [f"{value:.3f} ({paper}, {100 * (value / paper - 1):+.1f} %)"
                 for value, paper in ours]
        if direct is None:
            cells.append(f"{rows['Direct']['RMSE']:.3f} (-)")
        n = int(metrics["setting"].split()[0])
        verdict = f"no: trained on variant {variant!r}" if variant else "yes" if met else "no"
        if not variant and n < 10000:  # the first n test images are not the whole set
            verdict += f" on the first {n:,} test images; the full test set is not measured yet"
        lines.append(f"| `{name}` | {entry['training']['steps']:,} | {n:,} | {cells[0]} | "
                     f"{cells[1]} | {verdict} |")
    return [*lines, ""]
CELEBA_RESTORERS = ("celeba64-blur", "celeba64-inpaint", "celeba64-sr", "celeba64-snow",
                    "celeba64-color")
RATIO_TOLERANCE = 0.15


def celeba_targets_section() -> list[str]:
    """The CelebA restorers at 64 px against the paper's 128-px rows by the ratio of restored
    to degraded RMSE (issue 29), which makes the two sizes comparable."""
    entries = {e["name"]: e for e in zoo.list_models()}
    lines = ["## Targets at 64 px: the CelebA restorers", "",
             "The paper's CelebA rows are at 128 px and ours at 64 px (the shared subset), so "
             "each restorer is judged by its restored over degraded RMSE on the 1,200 test "
             f"faces: within {RATIO_TOLERANCE * 100:.0f} % of the paper's ratio, or below it, "
             "for TACoS and for direct restoration. Where the paper gives one reconstruction "
             "row (snow, colourisation), both are held to it.", "",
             "| model | steps | degraded RMSE (paper) | TACoS / degraded (paper) | "
             "direct / degraded (paper) | target met |", "|---|---|---|---|---|---|"]
    for name in CELEBA_RESTORERS:
        _, paper = PAPER[name]
        degraded = paper["Degraded"][2]
        tacos = paper["Sampled (TACoS)"][2] / degraded
        direct = paper["Direct"][2] / degraded if "Direct" in paper else tacos
        metrics = (entries.get(name) or {}).get("metrics")
        if not metrics:
            lines.append(f"| `{name}` | not trained | ({degraded}) | ({tacos:.3f}) | "
                         f"({direct:.3f}) | no |")
            continue
        rows = metrics["rows"]
        ours = rows["Degraded"]["RMSE"]
        ratios = [(rows["Sampled (TACoS)"]["RMSE"] / ours, tacos),
                  (rows["Direct"]["RMSE"] / ours, direct)]
        met = all(value <= paper_ratio * (1 + RATIO_TOLERANCE) for value, paper_ratio in ratios)
        cells = [f"{value:.3f} ({paper_ratio:.3f}, {100 * (value / paper_ratio - 1):+.1f} %)"
                 for value, paper_ratio in ratios]
        lines.append(f"| `{name}` | {entries[name]['training']['steps']:,} | {ours:.3f} "
                     f"({degraded}) | {cells[0]} | {cells[1]} | {'yes' if met else 'no'} |")
    return [*lines, ""]


def subsets_section() -> list[str]:
    """Every restorer on its whole test set and on other images recorded in its card (the
    first 1,000), so that a part where a model fails is not hidden by the whole (issue 29)."""
    lines = ["## The whole test set and its first 1,000 images", "",
             "Each restorer as `python -m zoo.maintain.record NAME --n 1000 --subset` recorded "
             "it on the first 1,000 test images, beside its main figures. CIFAR-10's test "
             "images are sorted by class: the first 1,000 are all airplanes (`colddiff "
             "evaluate NAME --n 10000 --blocks 1000` measures each class alone). RMSE, and "
             "restored over degraded RMSE (the ratio the targets compare).", "",
             "| model | images | Degraded RMSE | TACoS RMSE | direct RMSE | TACoS / degraded | "
             "direct / degraded | Frechet distance: degraded, TACoS, direct |",
             "|---|---|---|---|---|---|---|---|"]
    for entry in zoo.list_models():
        if not entry.get("subsets") or not entry.get("metrics"):
            continue
        for measured in (entry["metrics"], *entry["subsets"]):
            rows, fid = measured["rows"], measured["fid_name"]
            if not {"Degraded", "Sampled (TACoS)", "Direct"} <= set(rows):
                continue
            degraded = rows["Degraded"]["RMSE"]
            rmse = [rows[r]["RMSE"] for r in ("Degraded", "Sampled (TACoS)", "Direct")]
            fids = ", ".join(f"{rows[r][fid]:.2f}" for r in ("Degraded", "Sampled (TACoS)",
                                                             "Direct"))
            images = measured["setting"].split(" from t")[0]
            lines.append(f"| `{entry['name']}` | {images} | " + " | ".join(
                f"{v:.3f}" for v in rmse) + f" | {rmse[1] / degraded:.3f} | "
                f"{rmse[2] / degraded:.3f} | {fids} ({fid}) |")
    return [*lines, ""] if len(lines) > 7 else []


PAPER_GENERATION = "\n".join(NUMBERS["generation_table"])

PAPER_BLUR_DIFFUSION = {kind: tuple(row) for kind, row in NUMBERS["blur_diffusion"].items()}
BLUR_DIFFUSION_DATA = ROOT / "docs/data/blur-diffusion-mnist.json"


def blur_diffusion_section() -> list[str]:
    """Blur diffusion against standard diffusion, trained here at equal budget."""
    if not BLUR_DIFFUSION_DATA.exists():
        return []
    results = json.loads(BLUR_DIFFUSION_DATA.read_text())
    variants = {k: v for k, v in results.items() if k in PAPER_BLUR_DIFFUSION}
    first = next(iter(variants.values()))
    rows = list(first["rows"])
    lines = ["## Blur diffusion against standard diffusion (blur-diffusion.md, Table 1)", "",
             "Made by `scripts/blur_diffusion_experiment.py` (train, evaluate, figure; the "
             "commands are in [blur-diffusion.md](blur-diffusion.md#the-experiment)). Both "
             "models are the same U-Net "
             f"({first['parameters']:,} parameters) trained with eq. (18) for "
             f"{first['steps_trained']:,} steps of batch {first['batch']} on MNIST at 32x32, "
             f"on a 2-core CPU. Measured: {first['setting']}; {first['fid_name']}, lower is "
             "better.", "",
             "| schedule | f(N) | f type | " + " | ".join(rows) + " | training | paper FID-10K "
             "bedroom | paper FID-10K church |",
             "|---" * (len(rows) + 6) + "|"]
    for key in ("standard", "log", "blur"):
        f_final, f_type, bedroom, church = PAPER_BLUR_DIFFUSION[key]
        if key in variants:
            v = variants[key]
            cells = [f"{v['rows'][row]:.2f}" for row in rows]
            name, minutes = f"`{v['schedule']}`", f"{v['training_minutes']:.0f} min"
        else:
            cells, name, minutes = ["not trained here"] * len(rows), "(paper only)", ""
        lines.append(f"| {name} | {f_final} | {f_type} | " + " | ".join(cells) +
                     f" | {minutes} | {bedroom} | {church} |")
        for seed, repeat in results.get("repeats", {}).items():
            if key in repeat:
                cells = [f"{repeat[key][row]:.2f}" for row in rows]
                lines.append(f"| {name}, sampling seed {seed} | {f_final} | {f_type} | " +
                             " | ".join(cells) + " | same weights | | |")
    lines += ["", "The paper's columns: LSUN 64x64, Inception FID of 10,000 samples, 1000-step "
              "sampling, 450,000-600,000 training steps on a V100.", "",
              "![coarse-to-fine](img/blur-diffusion-trajectories.png)", "",
              results.get("figure_caption", ""), "", results.get("notes", ""), ""]
    return lines


TABLE5_COLD, TABLE5_HOT = "mnist-heat-gen", "mnist-blur-diffusion"


def table5_section() -> list[str]:
    """Table 5 and A.7 on MNIST: the cold generator's and the hot model's recorded rows."""
    entries = {e["name"]: e for e in zoo.list_models()}
    cold, hot = (entries.get(name, {}).get("metrics") for name in (TABLE5_COLD, TABLE5_HOT))
    if not cold or not hot:
        return []

    def row(metrics: dict, start: str) -> str:
        found = [v[metrics["fid_name"]] for k, v in metrics["rows"].items() if k.startswith(start)]
        return f"{found[0]:.2f}" if found else "not measured"

    return [
        "## Table 5 and A.7 on MNIST: hot and cold generation", "",
        f"`{TABLE5_HOT}` (hot: blur diffusion, a noise predictor; 100 evenly spaced steps) and "
        f"`{TABLE5_COLD}` (cold: heat blur to the channel mean with one fixed noise image; "
        "every step), each as recorded in its card: "
        f"{hot['setting']} (hot), {cold['setting']} (cold); FID-mnistnet, lower is better. "
        "*Estimated noise* is the deterministic sampler (A.6: DDIM); *fixed noise* is TACoS "
        "with the starting noise reused at every step (`samplers.rotated_fixed_noise`).", "",
        "| | hot, fixed noise | hot, estimated noise | cold, perfect symmetry | "
        "cold, broken symmetry | cold, direct (A.7) | cold, Algorithm 1 (A.7) |",
        "|---|---|---|---|---|---|---|",
        f"| MNIST, ours | {row(hot, 'Fixed noise')} | {row(hot, 'Deterministic, 100 steps')} | "
        f"{row(cold, 'TACoS, perfect')} | {row(cold, 'TACoS, broken')} | "
        f"{row(cold, 'Direct')} | {row(cold, 'Algorithm 1')} |",
        "| CelebA 128 px, paper (Inception FID) | 59.91 | 23.11 | 97.00 | 49.45 | 257.69 | "
        "fails |",
        "| AFHQ 128 px, paper (Inception FID) | 25.62 | 20.59 | 93.05 | 54.68 | 214.24 | "
        "fails |", "",
    ]


HOT = {
    "paper": ("the paper's hot diffusion: R(x_t, t) ~ x0 on Gaussian noise",
              ("Fixed noise", "Estimated noise")),
    "noise": ("blur diffusion's noise predictor, DDPM's 1,000 steps",
              ("Fixed noise", "Deterministic, 100 steps")),
}
"""The two kinds of hot baseline: what each is, and its rows for Table 5's fixed noise and
estimated noise columns."""

TABLE_5 = {
    "celeba": {"title": "CelebA", "images": "faces", "reference": "the 1,200 test faces",
               "flags": "--n 1000 --reference 1200", "n": "1,000",
               "hot": {"celeba64-hot-gen": "paper", "celeba64-diffusion": "noise"},
               "ratio": 2.14,
               "cold": {"celeba64-blur-gen": "the paper's blur schedule (5.2)",
                        "celeba64-heat-gen": "heat dissipation, noise carried in D"},
               "paper": "| CelebA 128 px, paper (Inception FID) | 59.91 | 23.11 | 97.00 | 49.45 | "
                        "257.69 | fails |"},
    "afhq": {"title": "AFHQ cats", "images": "cats",
             "reference": "the 500 test cats (and, in the rows marked so, the first 1,000 "
                          "training cats)",
             "flags": "--n 1000 --reference 500 --also train:1000", "n": "1,000",
             "hot": {"afhq64-hot-gen": "paper"},
             "also": ("1000 generated images against 1000 afhq train images, seed 0",
                      "against 1,000 training cats"),
             "ratio": 2.66,
             "cold": {"afhq64-blur-gen": "the paper's blur schedule (5.2)",
                      "afhq64-heat-gen": "heat dissipation, noise carried in D"},
             "paper": "| AFHQ 128 px, paper (Inception FID) | 25.62 | 20.59 | 93.05 | 54.68 | "
                      "214.24 | fails |"},
}
"""Table 5 at 64 px, per data set: its cold generators, its hot baselines at the same budget
(by kind, :data:`HOT`; the paper's kind first, which the ratio is judged against where it is
recorded; AFHQ has the paper's kind only: blur diffusion's noise predictor drew no faces at
this budget, `celeba64-diffusion`), the reference images of their FID (``also``: the setting
of a second reference set the cards record beside the main one, and the words for its rows),
the paper's row at 128 px and its ratio of cold broken symmetry to hot estimated noise (issue
28's target)."""


def _fid_of(entries: dict, name: str, start: str, setting: str | None = None) -> float | None:
    """The FID of the first recorded row of model ``name`` whose name starts with ``start``:
    in its main figures, or in those recorded beside them with ``setting``."""
    entry = entries.get(name, {})
    metrics = entry.get("metrics") if setting is None else next(
        (m for m in entry.get("subsets", []) if m["setting"] == setting), None)
    found = [v[metrics["fid_name"]] for k, v in metrics["rows"].items()
             if k.startswith(start)] if metrics else []
    return found[0] if found else None


def _recorded(entries: dict, name: str, start: str, setting: str | None = None) -> str:
    fid = _fid_of(entries, name, start, setting)
    return "not measured" if fid is None else f"{fid:.2f}"


def _hot_baseline(entries: dict, table: dict) -> tuple[str, float] | None:
    """The first hot baseline of ``table`` with a recorded estimated-noise row: its name and
    FID."""
    for name, kind in table["hot"].items():
        fid = _fid_of(entries, name, HOT[kind][1][1])
        if fid is not None:
            return name, fid
    return None


def table_5_verdict(entries: dict, table: dict, name: str) -> str:
    """Issue 28's targets for cold generator ``name``, judged from the recorded rows: the
    paper's ratio to hot estimated noise (of the paper's kind of hot model where it is
    recorded), and its two orderings."""
    fid = {row: _fid_of(entries, name, row) for row in
           ("TACoS, perfect", "TACoS, broken", "Direct", "Algorithm 1")}
    hot = _hot_baseline(entries, table)
    perfect, broken = fid["TACoS, perfect"], fid["TACoS, broken"]
    parts = []
    if broken is not None and hot is not None:
        bound = table["ratio"] * hot[1]
        parts.append(f"broken symmetry {broken:.2f} against {table['ratio']} x hot estimated "
                     f"noise (`{hot[0]}`) = {bound:.2f}: "
                     + ("met" if broken <= bound else "not met"))
    else:
        parts.append(f"ratio to hot estimated noise ({table['ratio']}x): not measured")
    if perfect is not None and broken is not None:
        parts.append(f"perfect symmetry worse than broken ({perfect:.2f} against {broken:.2f}): "
                     + ("holds" if perfect > broken else "does not hold"))
    else:
        parts.append("perfect against broken symmetry: not measured")
    tacos = [f for f in (perfect, broken) if f is not None]
    for row in ("Direct", "Algorithm 1"):
        if fid[row] is not None and tacos:
            parts.append(f"{row} {fid[row] / min(tacos):.1f}x the better TACoS row")
        else:
            parts.append(f"{row} against TACoS: not measured")
    return f"- `{name}`: " + "; ".join(parts) + "."


def table_5(entries: dict, table: dict) -> list[str]:
    """Table 5's rows for one data set, from its models' records, the hot baselines first;
    none without a cold model."""
    if not any(name in entries for name in table["cold"]):
        return []
    settings = [(None, "")]
    if "also" in table:
        settings.append((table["also"][0], f", {table['also'][1]}"))
    hot_words = "; ".join(f"`{name}`, {HOT[kind][0]}" +
                          ("" if name in entries else " (not trained yet)")
                          for name, kind in table["hot"].items())
    lines = [f"## Table 5 and A.7 on {table['title']} at 64 px", "",
             "Each generator as recorded in its card (`python -m zoo.maintain.record NAME "
             f"{table['flags']} --kid`: {table['n']} generated {table['images']} against "
             f"{table['reference']}, seed 0), FID-facecatnet (its card: "
             "`zoo/src/zoo/weights/facecatnet.md`), lower is better. The hot baselines have "
             f"the cold generators' network and budget: {hot_words}. The paper's row is "
             "Inception FID at 128 px: compare orderings and ratios, not values.", "",
             "| | hot, fixed noise | hot, estimated noise | cold, perfect symmetry | "
             "cold, broken symmetry | cold, direct (A.7) | cold, Algorithm 1 (A.7) |",
             "|---|---|---|---|---|---|---|"]
    blank = " |" * 4
    for name, kind in table["hot"].items():
        for setting, against in settings if name in entries else ():
            lines.append(f"| `{name}` (hot{against}) | " + " | ".join(
                _recorded(entries, name, row, setting) for row in HOT[kind][1]) + f" |{blank}")
    for name, what in table["cold"].items():
        for setting, against in settings if name in entries else ():
            lines.append(f"| `{name}` ({what}{against}) | | | " + " | ".join(
                _recorded(entries, name, row, setting) for row in
                ("TACoS, perfect", "TACoS, broken", "Direct", "Algorithm 1")) + " |")
    verdicts = [table_5_verdict(entries, table, name) for name in table["cold"]
                if name in entries]
    return [*lines, table["paper"], "",
            "The targets (the paper's ratio of cold broken symmetry to hot estimated noise at "
            "equal budget, against the paper's kind of hot model where it is recorded; its "
            "orderings: perfect symmetry worse than broken, direct and Algorithm 1 far worse "
            "than TACoS), from the rows above. The ratio is only as telling as the hot "
            "baseline: where that draws no images (its card says so), a met ratio says "
            "little.", "", *verdicts, ""]


LEARNING_CURVES = {
    "title": "What the ratio target would take: FID against the training step",
    "n": 300,
    "runs": {"celeba64-heat-gen": ("tacos", "cold, broken symmetry (TACoS)"),
             "celeba64-hot-gen": ("estimated", "hot, estimated noise (DDIM)")},
    "ratio": 2.14,
    "picture": "img/learning-curve-celeba64.png",
    "untried": "What is left to try is a wider network for the cold generator (width 32, "
               "about four times the cost of a step); it is not trained.",
}
"""The learning curves behind Table 5's unmet ratio on CelebA: the best cold generator and
the hot baseline, each measured at its committed checkpoints and at the zoo model
(``scripts/curve_point.py zoo/training/NAME --commit C --n 300`` and ``--final``)."""
PLATEAU = 0.05
"""A run whose FID moved by less than this share over the second half of its training has
levelled off."""


def learning_curves(curves: dict, folder: Path) -> list[str]:
    """A table of each run's FID points (``folder/NAME/curve.jsonl``, ``curves["n"]``
    samples, seed 0) by step, and how much each fell; none while a run has fewer than two
    points."""
    points = {}
    for name, (sampler, _) in curves["runs"].items():
        found = fid_curve(folder / name, curves["n"]) if (folder / name).is_dir() else {}
        points[name] = dict(found.get(f"{sampler}, n={curves['n']}", []))
    if any(len(p) < 2 for p in points.values()):
        return []
    steps = sorted(set().union(*points.values()))
    lines = [f"### {curves['title']}", "",
             f"{curves['n']} samples of seed 0 against the same reference faces, at each "
             "run's committed checkpoints and its zoo model (`python scripts/curve_point.py "
             "zoo/training/NAME --commit C --n 300`, and `--final`; compare these rows with "
             "each other, not with the 1,000-sample rows above).", "",
             "| step | " + " | ".join(f"`{name}`: {what}" for name, (_, what)
                                      in curves["runs"].items()) + " |",
             "|---|" + "---|" * len(points)]
    for step in steps:
        lines.append(f"| {step:,} | " + " | ".join(
            f"{p[step]:.2f}" if step in p else "" for p in points.values()) + " |")
    lines.append("")
    late = {}
    for name, p in points.items():
        (first, a), (last, b) = min(p.items()), max(p.items())
        middle = min(p, key=lambda step: abs(step - last / 2))
        second_half = ""
        if middle not in (first, last):
            late[name] = (b - p[middle]) / p[middle]
            second_half = f"; over the second half, from step {middle:,}: {late[name]:+.0%}"
        lines.append(f"- `{name}`: {a:.2f} at step {first:,}, {b:.2f} at {last:,} "
                     f"({(b - a) / a:+.0%}{second_half}).")
    (cold, cold_points), (hot, hot_points) = points.items()
    last = max(set(cold_points) & set(hot_points), default=None)
    if last is not None:
        ratio = cold_points[last] / hot_points[last]
        lines.append(f"- At step {last:,} `{cold}` is {ratio:.1f} times `{hot}`; the "
                     f"target is {curves['ratio']} times.")
        cold_flat = late.get(cold, -1.0) > -PLATEAU
        hot_gains = late.get(hot, 0.0) < -PLATEAU
        if ratio > curves["ratio"] and cold_flat and hot_gains:
            lines.append(f"- `{cold}` has levelled off (within {PLATEAU:.0%} over the second "
                         f"half of its training) while `{hot}` still improves: more steps of "
                         "this network widen the gap, so they cannot meet the ratio target. "
                         f"{curves['untried']}")
    return [*lines, "", f"![learning curves]({curves['picture']})", "",
            "(`python scripts/learning_curve.py " + " ".join(
                f"zoo/training/{name}" for name in points)
            + f" --n {curves['n']} --out docs/{curves['picture']}`)", ""]


def faces_section() -> list[str]:
    """Table 5 on the 64-px CelebA faces and AFHQ cats (issue 28), from the models' records,
    and Figure 1 at 64 px."""
    entries = {e["name"]: e for e in zoo.list_models()}
    lines = table_5(entries, TABLE_5["celeba"])
    if not lines:
        return []
    lines += learning_curves(LEARNING_CURVES, ROOT / "zoo/training")
    return [*lines, *table_5(entries, TABLE_5["afhq"]), *section_5_3(entries),
            "![Figure 1 at 64 px](img/figure-1.png)", "",
            "Figure 1 at 64 px (`python scripts/figure1.py`): for each generator, the forward "
            "process `D(x0, t)` of a test face, and the backward walk of TACoS from the prior "
            "to a new face (the walk of `model.generate(1, seed=0)`, drawn right to left).", ""]


SECTION_5_3 = {"celeba64-animorph": "animorphosis: a cat walked back to a face",
               "celeba64-inpaint-gen": "inpainting: a solid colour walked back to a face",
               "celeba64-sr-gen": "super-resolution: a 2x2 image walked back to a face"}
"""Section 5.3's generators on CelebA, in the paper's order of FID (best first)."""
PAPER_5_3 = NUMBERS["section_5_3"]["fid"]


def default_row(entry: dict) -> str:
    """The start of the row ``model.generate(n)`` draws: TACoS with the model's recorded
    symmetry-breaking noise, perfect symmetry where that is 0."""
    return "TACoS, broken" if entry["prior"]["noise_std"] else "TACoS, perfect"


def section_5_3_verdict(entries: dict) -> str:
    """Whether the paper's order of section 5.3 (animorphosis better than inpainting better
    than super-resolution) holds in the default rows recorded; what is missing, if any."""
    fid = {name: _fid_of(entries, name, default_row(entries[name])) if name in entries
           else None for name in SECTION_5_3}
    missing = [f"`{name}`" for name, value in fid.items() if value is None]
    if missing:
        return (f"The paper's order (animorphosis {PAPER_5_3['celeba64-animorph']} better than "
                f"inpainting {PAPER_5_3['celeba64-inpaint-gen']} better than super-resolution "
                f"{PAPER_5_3['celeba64-sr-gen']}) cannot be judged yet: "
                f"{', '.join(missing)} not measured.")
    holds = all(a < b for a, b in itertools.pairwise(fid.values()))
    ranked = sorted(fid, key=fid.__getitem__)
    return ("The paper's order (animorphosis better than inpainting better than "
            "super-resolution) " + ("holds" if holds else "does not hold") + " here, where "
            "the order is " + ", then ".join(
                f"{SECTION_5_3[name].split(':')[0]} ({fid[name]:.2f})" for name in ranked) + ".")


def section_5_3(entries: dict) -> list[str]:
    """Section 5.3's FIDs on CelebA at 64 px beside the paper's at 128 px: each generator's
    default row and direct reconstruction, the models not trained yet said so; none while no
    generator of the section is in the zoo."""
    if not any(name in entries for name in SECTION_5_3):
        return []
    lines = ["## Section 5.3 on CelebA at 64 px: animorphosis, inpainting and "
             "super-resolution generation", "",
             "Each generator as recorded in its card (`python -m zoo.maintain.record NAME "
             "--n 1000 --reference 1200 --kid`: 1,000 generated faces against the 1,200 test "
             "faces, seed 0), FID-facecatnet, lower is better: the row `model.generate(n)` "
             "draws (TACoS, with the recorded symmetry-breaking noise) and direct "
             "reconstruction. The paper's column is Inception FID at 128 px (section 5.3): "
             "compare orders, not values.", "",
             "| | what | FID-facecatnet (default) | direct | paper (Inception FID, 128 px) |",
             "|---|---|---|---|---|"]
    for name, what in SECTION_5_3.items():
        if name in entries:
            ours = (_recorded(entries, name, default_row(entries[name])),
                    _recorded(entries, name, "Direct"))
        else:
            ours = ("not trained yet", "")
        lines.append(f"| `{name}` | {what} | {ours[0]} | {ours[1]} | {PAPER_5_3[name]} |")
    return [*lines, "", section_5_3_verdict(entries), "",
            "![Figure 8 at 64 px](img/figure-8.png)", "",
            "Figure 8 at 64 px (`python scripts/figure8.py`): each generator's `x_T`, drawn "
            "by its prior, above the face TACoS walks it back to.", ""]


GENERATION_DATA = ROOT / "docs/data/generation-mnist.json"
KINDS = {"cold": "cold (TACoS, no fresh noise)", "warm": "warm (heat + fresh noise)",
         "hot": "hot (blur diffusion)", "blurring": "hot (blurring diffusion)",
         "soft": "soft (blur + growing noise, momentum sampler)"}


def _fid(fids: dict[str, float], seed: str) -> str:
    return f"{fids[seed]:.2f}" if seed in fids else "not measured"


def generation_section() -> list[str]:
    """Cold, warm and hot generation side by side (``scripts/generation_experiment.py``)."""
    if not GENERATION_DATA.exists():
        return []
    data = json.loads(GENERATION_DATA.read_text())
    seeds = [str(seed) for seed in data["seeds"]]
    lines = ["## Cold, warm and hot generation on MNIST", "",
             "`python scripts/generation_experiment.py measure --n "
             f"{data['n']} --seeds {' '.join(seeds)}` and `... figure`: each model's default "
             f"sampler (the row `model.generate(n)` runs), {data['fid_name']} of {data['n']} "
             f"samples against {data['n']} test images for each seed; speed (`... speed`): "
             f"{data.get('speed', 'not timed yet')}.",
             "", "| | model | training | " + " | ".join(f"seed {s}" for s in seeds) +
             " | samples/s | calls/sample |",
             "|---|---|---|" + "---|" * len(seeds) + "---|---|"]
    for kind, m in data["models"].items():
        fids = m["rows"][m["default_row"]]
        lines.append(f"| {KINDS.get(kind, kind)} | `{m['model']}`: {m['default_row']} | "
                     f"{m['steps']:,} steps, {m['wall_time']}, {m['loss']}, {m['optimiser']} | "
                     + " | ".join(_fid(fids, s) for s in seeds) +
                     f" | {m.get('samples_per_second', '')} | "
                     f"{m.get('calls_per_sample', '')} |")
    lines += ["", "Every row of each model, for each seed:", "",
              "| model | row | " + " | ".join(f"seed {s}" for s in seeds) + " |",
              "|---|---|" + "---|" * len(seeds)]
    for m in data["models"].values():
        for row, fids in m["rows"].items():
            lines.append(f"| `{m['model']}` | {row} | " +
                         " | ".join(_fid(fids, s) for s in seeds) + " |")
    lines += ["", "![trajectories](img/generation-trajectories.png)", "",
              "From `x_T` (left) to the sample (right), as each sampler hands `x_s` to its "
              "network.", "", data.get("notes", ""), ""]
    return lines


RESTORATION_DATA = ROOT / "docs/data/restoration-cifar10.json"
RESTORATION_TASKS = {"blur": "cifar10-blur", "sr": "cifar10-sr"}


def path_error_table(errors: dict[str, dict[str, float]]) -> list[str]:
    """How hard each step of each model's training task is: the RMSE of one call of
    ``R(x_t, t)`` at steps of its own path."""
    steps = list(next(iter(errors.values())))
    return ["One call of each restorer at step `t` of its own path `x_t = D(x0, t)` "
            "(RMSE against `x0`):", "",
            "| model | " + " | ".join(f"t = {t}" for t in steps) + " |",
            "|---|" + "---|" * len(steps),
            *(f"| {role} | " + " | ".join(f"{by_step[t]:.4f}" for t in steps) + " |"
              for role, by_step in errors.items()), ""]


def restoration_section() -> list[str]:
    """InDI beside cold diffusion's TACoS and direct restoration on the same observations
    (``scripts/restoration_experiment.py``, issue 31): one table and one perception-distortion
    plot per task measured, and the verdict written beside the figures."""
    if not RESTORATION_DATA.exists():
        return []
    data = json.loads(RESTORATION_DATA.read_text())
    measured = [task for task in RESTORATION_TASKS if task in data]
    if not measured:
        return []
    lines = ["## InDI against cold diffusion on CIFAR-10", "",
             "`python scripts/restoration_experiment.py measure --task TASK --indi RUN --n N` "
             "and `... plot`: the zoo's cold restorer (TACoS in 1 to T steps, and direct "
             "restoration; Bansal et al., 2022) and InDI restorers trained on the straight path "
             "toward the same observations (Delbracio and Milanfar, 2023) restore the same "
             "degraded test images. Distortion: RMSE, SSIM and PSNR against the originals; "
             "perception: FID-cifarnet of the restored images against the originals. Seconds: "
             "the wall time of each row on this shared 2-core CPU, one thread.", ""]
    for task in measured:
        result = data[task]
        trained = "; ".join(f"{role}: `{m['name']}`, {m['steps']:,} steps" +
                            (f", {m['wall_time']}" if m.get("wall_time") else "")
                            for role, m in result["models"].items())
        lines += [f"### `{RESTORATION_TASKS[task]}`", "",
                  f"{result['n']:,} images ({result['images']}), degraded with seed "
                  f"{result['seed']}; {trained}.", "",
                  "| method | steps | RMSE | SSIM | PSNR | FID-cifarnet | seconds |",
                  "|---|---|---|---|---|---|---|"]
        for r in result["rows"]:
            steps = "" if r["steps"] is None else str(r["steps"])
            lines.append(f"| {r['method']} | {steps} | {r['RMSE']:.4f} | {r['SSIM']:.3f} | "
                         f"{r['PSNR']:.2f} | {r['FID']:.2f} | {r['seconds']} |")
        lines += ["", f"![perception and distortion of {task}]"
                  f"(img/perception-distortion-{task}.png)", ""]
        if result.get("path_error"):
            lines += path_error_table(result["path_error"])
        if data.get("notes", {}).get(task):
            lines += [data["notes"][task], ""]
    return lines


def model_section(entry: dict) -> list[str]:
    metrics, name = entry.get("metrics"), entry["name"]
    staged = " (in stages: its card gives the history)" \
        if entry["training"].get("history") else ""
    lines = [f"## `{name}`", "", f"{entry['training']['steps']:,} training steps{staged} "
             f"({entry['training']['wall_time']} on {entry['training']['hardware']}); "
             f"{entry['data']['dataset_label']}.", ""]
    if not metrics:
        return [*lines, "Not evaluated yet.", ""]
    lines += [f"Measured: {metrics['setting']}.", ""]
    rows, fid = metrics["rows"], metrics["fid_name"]
    if entry["kind"] == "restorer":
        table, paper = PAPER.get(name, (None, None))
        beside = " | paper FID | paper SSIM | paper RMSE |" if paper else " |"
        lines += [f"| | {fid} | SSIM | RMSE | PSNR{beside}",
                  "|---|---|---|---|---|" + ("---|---|---|" if paper else "")]
        for row, values in rows.items():
            cells = [f"{values[fid]:.2f}", f"{values['SSIM']:.3f}", f"{values['RMSE']:.3f}",
                     f"{values['PSNR']:.2f}"]
            if paper:
                cells += map(str, paper.get(row, ("", "", "")))
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
        if paper:
            lines += ["", f"The paper's columns are its {table} (Inception FID, 700,000 steps "
                      "on GPUs for blur and super-resolution, 60,000 for inpainting).", ""]
        elif zoo.named_schedule(entry["schedule"]).operator == "DirectIteration":
            lines += ["", "Not a row of the paper's tables: InDI against cold diffusion below "
                      "sets it beside the cold restorer of the same observations.", ""]
        else:
            lines += ["", "Not a row of the paper's tables.", ""]
        if metrics.get("block_table"):
            lines += ["Each block of those images measured alone:", "",
                      metrics["block_table"], ""]
    else:
        lines += [f"| | {fid} |", "|---|---|"]
        lines += [f"| {row} | {values[fid]:.2f} |" for row, values in rows.items()]
        operator = zoo.named_schedule(entry["schedule"]).operator
        if operator == "BlurDiffusion":
            lines += ["", "The paper's Table 1 is beside the experiment below.", ""]
        elif operator == "BlurringDiffusion":
            lines += ["", "Its default row, every step, is in the generation experiment below.",
                      ""]
        elif entry["kind"] in ("warm-generator", "soft-generator"):
            lines += ["", "The generation experiment below sets these rows beside cold, hot, "
                      "blurring and soft generation at the same budget.", ""]
        elif name in SECTION_5_3:
            lines += ["", f"The paper's figure for this generation (section 5.3, Inception FID "
                      f"at 128 px) is {PAPER_5_3[name]}; section 5.3 below sets the three "
                      "beside each other.", ""]
        elif any(name in table["hot"] for table in TABLE_5.values()):
            lines += ["", "Table 5 at 64 px below sets these rows beside the cold generators "
                      "and the paper's hot rows.", ""]
        else:
            lines += ["", "For comparison, not on the same data or features:", "",
                      PAPER_GENERATION, ""]
    return lines


NOTES = NUMBERS["notes"]


TACOS_DRIFT_DATA = ROOT / "docs/data/tacos-drift.json"


def tacos_drift_section() -> list[str]:
    """Why TACoS trails direct restoration on inpainting (``benchmarks/tacos_drift.py``)."""
    if not TACOS_DRIFT_DATA.exists():
        return []
    data = json.loads(TACOS_DRIFT_DATA.read_text())
    steps = list(data["rows"][0]["along"])
    lines = ["## Inpainting: why TACoS trails direct restoration", "",
             "`python benchmarks/tacos_drift.py MODEL... --n N --out docs/data/tacos-drift.json`"
             f" follows the TACoS walk from `x_T` on {data['setting']}. It prints the estimate "
             "`x0_hat = R(x_s, s)` along the walk, against `R(D(x0, s), s)` on the true path "
             "(in brackets), and the walk filled in with the true path's estimates: TACoS "
             "as it would be if the network did not drift. RMSE over pixels in [0, 1].", "",
             "| model | training | direct | TACoS | TACoS / direct | filled from the true path | "
             + " | ".join(f"x0_hat at s = {s}" for s in steps) + " |",
             "|---" * (6 + len(steps)) + "|"]
    for row in data["rows"]:
        cells = [f"{row['along'][s]:.4f} ({row['true_path'][s]:.4f})" for s in steps]
        lines.append(f"| `{row['model']}` | {row['training']} | {row['direct']:.4f} | "
                     f"{row['tacos']:.4f} | {row['tacos'] / row['direct']:.2f} | "
                     f"{row['filled']:.4f} | " + " | ".join(cells) + " |")
    return [*lines, "", data.get("notes", ""), ""]


def degraded_section() -> list[str]:
    """The Degraded columns of Tables 1-4 and 6 (``scripts/degraded_columns.py``)."""
    rows = json.loads((ROOT / "docs/data/degraded-columns.json").read_text())["full"]
    lines = ["## The Degraded columns: do the schedules degrade as the paper's?", "",
             "`python scripts/degraded_columns.py`: every named MNIST and CIFAR-10 schedule with "
             "a row in Tables 1-4 or 6, and the 64-px CelebA schedules of their CelebA rows, "
             "applied at `t = T` to the whole test set (10,000 images; the 1,200 CelebA test "
             "faces; random parameters from seed 0), against the paper's Degraded column (for "
             "CelebA, the paper's at 128 px). `tests/scripts/test_degraded_columns.py` holds the "
             "RMSE to 0.0015 of the paper's (0.005 for colourisation, 0.01 for the CelebA "
             "schedules, which are calibrated to it) and checks that the schedules still give "
             "these figures.",
             "", "| schedule | table | RMSE | paper RMSE | difference | SSIM | paper SSIM | "
             "difference | note |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| `{name}` | {r['table']} | {r['rmse']:.4f} | {r['paper_rmse']:.3f} | "
                     f"{r['rmse'] - r['paper_rmse']:+.4f} | {r['ssim']:.4f} | "
                     f"{r['paper_ssim']:.3f} | {r['ssim'] - r['paper_ssim']:+.4f} | "
                     f"{NOTES.get(name, '')} |")
    lines += ["", "On MNIST and CIFAR-10 the RMSE agrees to 0.0015 everywhere but "
              "colourisation. The SSIM differs by up to 0.02: the paper's code computes it with "
              "`pytorch_msssim` (valid convolution, no padding, on 3-channel copies of MNIST), "
              "ours as scikit-image does; the RMSE does not depend on such choices. The CelebA "
              "schedules scale the paper's 128-px ones to the shared 64-px faces and calibrate "
              "one parameter each to the paper's RMSE (each schedule's `differences` says "
              "which: blur's sigma scale, inpainting's beta step, snow's last threshold); "
              "super-resolution has none to calibrate and lands 0.011 away, and the SSIM of "
              "the calibrated ones stays 0.02 to 0.16 from the paper's.", ""]
    return lines


def _facecatnet_validation() -> list[str]:
    """The validation of facecatnet in a sentence, from its rows in ``data/features.json``."""
    from zoo.features import _registry

    rows = {r["row"]: r["FID"] for r in _registry()["facecatnet"]["validation"]}
    halves = rows["CelebA test: first 600 against last 600 faces"]
    blur = ", ".join(f"{v:.1f}" for k, v in rows.items() if "blurred" in k)
    noise = [v for k, v in rows.items() if "noise of std" in k]
    apart = rows["1,200 CelebA test faces against 500 AFHQ test cats"]
    return [f"  `zoo/src/zoo/weights/facecatnet.md`): {halves:.1f} between two halves of the "
            "CelebA test faces,",
            f"  rising with blur ({blur} at sigma 0.5 to 4 px) and noise ({noise[0]:.1f} to "
            f"{noise[-1]:.1f}",
            f"  at std 0.05 to 0.4), {apart:,.0f} between faces and cats; KID-facecatnet"]


def page() -> str:
    lines = [
        "# Results: the zoo's models next to the paper's tables",
        "",
        "Made by `python scripts/results_page.py` from the figures that",
        "`python -m zoo.maintain.record NAME --n N` measured and recorded in each model card",
        "(each table says its n; `colddiff evaluate NAME --n N` measures the same; a slow row",
        "can be measured alone and joined to the others with `--rows PREFIX`).",
        "",
        "Read these tables with three differences from the paper in mind:",
        "",
        "- **Training budget.** The paper trains 700,000 steps on GPUs (60,000 for inpainting).",
        "  Most zoo models had 20,000 steps of the CPU recipe (docs/performance.md): about an",
        "  hour on one core at 32 px, 3 to 8 hours at 64 px, a width-16 U-Net of 210,000",
        "  parameters. The targets table below",
        "  says which reach the paper's columns; each card gives its budget. Models still on",
        "  the old recipe (a few thousand steps) are far from converged.",
        "- **FID is not Inception FID.** Inception weights cannot be downloaded here. Our",
        "  Frechet distances use the features of small classifiers trained in this project",
        "  (`mnistnet`, `cifarnet`, and `facecatnet` for the 64-px faces and cats; see [the",
        "  model cards](models.md)), named `FID-mnistnet`, `FID-cifarnet` and `FID-facecatnet`.",
        "  Their scale is not the paper's: compare rows within a table, not with the paper's FID",
        "  column. `facecatnet` was validated before use (its card,",
        *_facecatnet_validation(),
        "  (`zoo.metrics.kernel_distance_of`, unbiased for small sets) is given beside it. With",
        "  Inception weights of your own, pass any",
        "  extractor: `zoo.evaluate(name, features=fn, fid_name=\"FID\")`, where `fn` maps",
        "  images in [-1, 1] to `(B, 2048)` pool features (for example pytorch-fid's",
        "  `InceptionV3([3])` on `(x + 1) / 2`, 1-channel images repeated to 3 channels).",
        "- **Data.** CIFAR-10 is the JPEG copy in `../shared/data` (about 30 dB from the",
        "  original pixels); MNIST is exact, resized to 32x32 as the paper's code does. Each",
        "  table uses the first n test images; FID compares n restored (or generated) images",
        "  with those n originals.",
        "",
        "SSIM: 11-pixel Gaussian window, sigma 1.5, data range 1 (checked against",
        "scikit-image); RMSE: one root-mean-square over all pixels in [0, 1]; PSNR:",
        "`-20 log10(RMSE)`.",
        "",
    ]
    lines += targets_section()
    lines += celeba_targets_section()
    lines += subsets_section()
    lines += tacos_drift_section()
    lines += degraded_section()
    for entry in zoo.list_models():
        lines += model_section(entry)
    lines += table5_section()
    lines += faces_section()
    lines += generation_section()
    lines += restoration_section()
    lines += blur_diffusion_section()
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs/results.md",
                        help="where to write the page (default: %(default)s)")
    out = parser.parse_args().out
    out.write_text(page())
    print(f"wrote {out}")

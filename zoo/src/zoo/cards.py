"""Model cards: the ``README.md`` of a model folder, made from its record (``config.json``)."""

from __future__ import annotations

import json
from typing import Any

from .folders import WEIGHTS, schedule_of
from .schedules import is_reference


def _degradation(entry: dict[str, Any]) -> str:
    schedule = schedule_of(entry.get("degradation"))
    if schedule is not None:
        return f"| schedule | `{schedule.name}`: {schedule.description} |"
    spec = entry.get("degradation") or {}
    arguments = ", ".join(f"{k}={v!r}" for k, v in (spec.get("arguments") or {}).items())
    return f"| degradation | `{spec.get('factory')}({arguments})` |"


DATA_TERMS = {
    "mnist": "MNIST: CC BY-SA 3.0",
    "cifar10": "CIFAR-10's terms (free to use, crediting Krizhevsky, 2009)",
    "celeba": "CelebA: non-commercial research purposes only",
    "afhq": "AFHQ: CC BY-NC 4.0 (non-commercial)",
}
"""The terms of each named data set, which weights trained on it come under as well
(``DATA-LICENSES.md`` in the zoo package)."""


def data_sets(entry: dict[str, Any]) -> list[str]:
    """The named data sets a model's weights and files come from: the one it trained on, then
    any its schedule draws images from (the AFHQ cats animorphosis mixes in) or its prior
    holds (the test cats it starts from)."""
    schedule = schedule_of(entry.get("degradation"))
    named = [entry["data"].get("dataset")]
    if schedule is not None:
        named += [v["images"] for v in (*schedule.arguments.values(),
                                        (schedule.prior or {}).get("fit_on"))
                  if is_reference(v)]
    return list(dict.fromkeys(n for n in named if n in DATA_TERMS))


def render_card(entry: dict[str, Any]) -> str:
    """A model card in Markdown from a model's record."""
    training, data = entry.get("training") or {}, entry["data"]
    architecture = entry.get("architecture") or {}
    digest = (entry.get("sha256") or {}).get(WEIGHTS, "")
    schedule = schedule_of(entry.get("degradation"))
    lines = [
        f"### `{entry['name']}`", "", entry.get("summary", ""), "", "| | |", "|---|---|",
        f"| kind | {entry.get('kind')}, objective `{entry.get('objective')}`"
        + (f", task {schedule.task}" if schedule else "") + " |",
        f"| data | {data.get('dataset_label', data.get('dataset'))}, {data['image_size']}x"
        f"{data['image_size']}, {data['channels']} channel(s), values in [{data['range'][0]}, "
        f"{data['range'][1]}] |",
        f"| split | {data.get('split', 'unknown')} |",
        *([f"| data terms | {'; '.join(DATA_TERMS[n] for n in data_sets(entry))}; the "
           "weights come under them too (`DATA-LICENSES.md`) |"] if data_sets(entry) else []),
        _degradation(entry),
        f"| architecture | U-Net, preset `{architecture.get('preset', 'custom')}`, "
        f"{architecture.get('parameters', 0):,} parameters |",
    ]
    if training.get("optimiser"):
        lines.append(f"| training | {training['steps']:,} steps, batch {training['batch']}, "
                     f"{training['optimiser']}, {training['loss']} loss, {training['ema']} |")
    elif training.get("steps") is not None:
        lines.append(f"| training | {training['steps']:,} steps, {training.get('loss')} loss |")
    if training.get("wall_time"):
        lines.append(f"| wall time | {training['wall_time']} on {training['hardware']} |")
    elif training.get("hardware"):
        lines.append(f"| hardware | {training['hardware']} |")
    lines.append(f"| weights | `{WEIGHTS}` (safetensors), sha256 `{digest[:16]}...` |")
    if entry.get("prior"):
        prior = entry["prior"]
        fitted_on = prior.get("fitted_on", "unknown")
        fitted = (f"fitted on {fitted_on}" if fitted_on else
                  "(learns nothing from the data: only the image shape is recorded)")
        lines.append(f"| prior | {prior.get('kind', prior.get('class'))} {fitted}, noise_std "
                     f"{prior.get('noise_std')} |")
    if entry.get("sampling"):
        lines.append(f"| sampling | fresh noise of standard deviation "
                     f"{entry['sampling']['noise_std']} after each step |")
    if entry.get("kind") == "diffusion" and schedule and schedule.operator == "BlurringDiffusion":
        lines += ["| objective | noise prediction `eps(z_t, t)` with the L2 loss, as section 3 of "
                  "Hoogeboom and Salimans, 2023 (arXiv:2209.05557) |",
                  "| sampling | `model.generate(n)`: the paper's ancestral sampler, the Gaussian "
                  "posterior of each DCT frequency, every step from N(0, I), unclipped; "
                  "`sampler=\"ddim\"`: deterministic, 100 jumps |"]
    elif entry.get("kind") == "diffusion":
        lines += ["| objective | noise prediction `eps(x_i, i)`, eq. (18) of Lee et al., 2022 "
                  "(arXiv:2207.11192) |",
                  "| sampling | `model.generate(n)`: the deterministic sampler in 100 steps from "
                  "N(0, I); `sampler=\"stochastic\"`: eq. (19), every step; each step's "
                  "predicted x0 clamped to [-1, 1] |"]
    if training.get("command"):
        lines += ["", "Reproduce:", "", "```", training["command"], "```"]
    lines.append("")
    if entry.get("run"):
        lines += ["<details><summary>The run's configuration (<code>colddiff train --config "
                  f"{entry['name']}</code> reads it)</summary>", "", "```json",
                  json.dumps(entry["run"], indent=2), "```", "", "</details>", ""]
    if training.get("history"):
        lines += [f"History: {training['history']}", ""]
    metrics = entry.get("metrics")
    if not metrics:
        lines += ["Not evaluated yet.", ""]
    for measured in [metrics] * bool(metrics) + entry.get("subsets", []):
        lines += [f"Measured ({measured['setting']}):", "", measured["table"], ""]
        if measured.get("block_table"):
            lines += ["Each block of those images measured alone:", "",
                      measured["block_table"], ""]
    if entry.get("notes"):
        lines += [entry["notes"], ""]
    return "\n".join(lines)

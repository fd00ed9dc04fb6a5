"""Model cards: the Markdown page of a zoo model, made from its registry entry."""

from __future__ import annotations

import json
from typing import Any

from .schedules import get_schedule


def render_card(entry: dict[str, Any]) -> str:
    """A model card in Markdown from a registry entry."""
    schedule = get_schedule(entry["schedule"])
    training, data, architecture = entry["training"], entry["data"], entry["architecture"]
    lines = [
        f"### `{entry['name']}`",
        "",
        entry.get("summary", ""),
        "",
        "| | |",
        "|---|---|",
        f"| task | {schedule.task} |",
        f"| data | {data['dataset_label']}, {data['image_size']}x{data['image_size']}, "
        f"{data['channels']} channel(s), values in [{data['range'][0]}, {data['range'][1]}] |",
        f"| split | {data['split']} |",
        f"| schedule | `{schedule.name}`: {schedule.description} |",
        f"| architecture | U-Net, preset `{architecture['preset']}`, "
        f"{architecture['parameters']:,} parameters |",
        f"| training | {training['steps']:,} steps, batch {training['batch']}, "
        f"{training['optimiser']}, {training['loss']} loss, {training['ema']} |",
        f"| wall time | {training['wall_time']} on {training['hardware']} |",
        f"| weights | `{entry['file']}` (float16 safetensors), "
        f"sha256 `{entry['sha256'][:16]}...` |",
    ]
    if entry.get("prior"):
        prior = entry["prior"]
        lines.append(f"| prior | {prior['kind']} fitted on {prior['fitted_on']}, "
                     f"noise_std {prior['noise_std']} |")
    if entry.get("sampling"):
        lines.append(f"| sampling | fresh noise of standard deviation "
                     f"{entry['sampling']['noise_std']} after each step |")
    if schedule.task == "diffusion":
        lines += ["| objective | noise prediction `eps(x_i, i)`, eq. (18) of Lee et al., 2022 "
                  "(arXiv:2207.11192) |",
                  "| sampling | `model.generate(n)`: the deterministic sampler in 100 steps from "
                  "N(0, I); `sampler=\"stochastic\"`: eq. (19), every step; each step's "
                  "predicted x0 clamped to [-1, 1] |"]
    lines += ["", "Reproduce:", "", "```", training["command"], "```", ""]
    if entry.get("run"):
        lines += ["<details><summary>The run's configuration (<code>colddiff train --config "
                  f"{entry['name']}</code> reads it)</summary>", "", "```json",
                  json.dumps(entry["run"], indent=2), "```", "", "</details>", ""]
    if training.get("history"):
        lines += [f"History: {training['history']}", ""]
    metrics = entry.get("metrics")
    if metrics:
        lines += [f"Measured ({metrics['setting']}):", "", metrics["table"], ""]
    else:
        lines += ["Not evaluated yet.", ""]
    if entry.get("notes"):
        lines += [entry["notes"], ""]
    return "\n".join(lines)

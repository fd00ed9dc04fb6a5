"""Write docs/models.md: the card of every model in the zoo, from its registry entry.

    python scripts/model_cards.py

tests/zoo/test_zoo_docs.py checks that the page matches the registry.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zoo.cards import render_card
from zoo.features import _registry as feature_registry

import zoo

ROOT = Path(__file__).resolve().parent.parent


def page() -> str:
    lines = [
        "# Model cards",
        "",
        "Every model of the zoo, as `zoo.load(name).card` prints it: the `README.md` of its",
        "folder `zoo/src/zoo/models/NAME/`, whose `config.json` records the sha256 of its",
        "float16 safetensors, checked before they load (docs/architecture.md). Made by",
        "`python scripts/model_cards.py`; the figures come from",
        "`python -m zoo.maintain.record NAME` (see [results](results.md)).",
        "",
    ]
    for entry in zoo.list_models():
        lines += [render_card(entry), ""]
    lines += ["## Feature extractors for the Frechet distances", "",
              "| name | data | test accuracy | features | trained by |", "|---|---|---|---|---|"]
    for name, entry in feature_registry().items():
        data = entry["dataset"] if isinstance(entry["dataset"], str) else \
            " and ".join(entry["dataset"])
        accuracy = f"{entry['test_accuracy']:.4f}" if "test_accuracy" in entry else (
            f"{entry['face_or_cat_accuracy_test']:.4f} face or cat, "
            f"{entry['rotation_accuracy_test']:.4f} rotation (card: "
            f"`zoo/src/zoo/weights/{name}.md`)")
        lines.append(f"| `{name}` | {data} | {accuracy} | "
                     f"{entry['feature_dim']} | `{entry['command']}` ({entry['wall_seconds']} s, "
                     "2-core CPU) |")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs/models.md",
                        help="where to write the page (default: %(default)s)")
    out = parser.parse_args().out
    out.write_text(page())
    print(f"wrote {out}")

"""The Degraded column of the paper's Tables 1-4 and 6, for every named MNIST and CIFAR-10
schedule with a row there (issue 14) and the 64-px CelebA schedules (issue 29): the recorded
measurement on the full test sets is within the stated distance of the paper, and the schedules
still give the recorded figures."""

import json
import sys
from pathlib import Path

import pytest

from restore import data

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import degraded_columns  # noqa: E402

RECORD = json.loads((ROOT / "docs/data/degraded-columns.json").read_text())

# How far the full-test-set RMSE may lie from the paper's. The paper prints three decimals;
# our CIFAR-10 is a JPEG copy whose chroma is subsampled, which makes colour images closer to
# their greyscale versions (cifar10-color) than in the original pixels.
RMSE_TOLERANCE = {"cifar10-color": 0.005}
# The 64-px CelebA schedules are calibrated to the paper's 128-px rows, within 0.01 (issue 29);
# super-resolution has no parameter to calibrate (2x2 is the paper's end) and lands 0.011 away.
CELEBA_TOLERANCE, CELEBA_SR_TOLERANCE = 0.01, 0.012
FULL = {"mnist": 10_000, "cifar10": 10_000, "celeba": 1_200}


def _has_data() -> bool:
    try:
        return all(data.data_path(f).exists()
                   for f in ("mnist.npz", "cifar10_jpeg.npz", "celeba64_subset.npz"))
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("name", sorted(degraded_columns.PAPER))
def test_the_degraded_rmse_is_the_papers(name):
    row = RECORD["full"][name]
    assert row["n"] == FULL[degraded_columns.named_schedule(name).dataset]
    if name.startswith("celeba64"):
        tolerance = CELEBA_SR_TOLERANCE if name == "celeba64-sr" else CELEBA_TOLERANCE
    else:
        tolerance = RMSE_TOLERANCE.get(name, 0.0015)
    assert abs(row["rmse"] - row["paper_rmse"]) <= tolerance, row


@pytest.mark.skipif(not _has_data(), reason="../shared/data is not present")
@pytest.mark.parametrize("name", sorted(degraded_columns.PAPER))
def test_the_schedules_give_the_recorded_figures(name):
    record = degraded_columns.named_schedule(name)
    x0 = degraded_columns.test_images(record.dataset, record.image_size, degraded_columns.SUBSET)
    ours = degraded_columns.degraded(name, x0)
    row = RECORD[f"first_{degraded_columns.SUBSET}"][name]
    assert ours["rmse"] == pytest.approx(row["rmse"], abs=1e-4)
    assert ours["ssim"] == pytest.approx(row["ssim"], abs=1e-4)

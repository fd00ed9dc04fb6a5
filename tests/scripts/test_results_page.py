"""docs/results.md's Table 5 verdicts: judged from the recorded rows, never assumed."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import results_page  # noqa: E402

TABLE = {"hot": "hot", "ratio": 2.0, "cold": {"cold": "a cold one"}}


def entries(cold: dict[str, float], hot: dict[str, float]) -> dict:
    def entry(rows):
        return {"metrics": {"fid_name": "FID", "rows": {k: {"FID": v} for k, v in rows.items()}}}
    return {"cold": entry(cold), "hot": entry(hot)}


def test_the_verdict_follows_the_recorded_figures():
    rows = {"TACoS, perfect symmetry": 90.0, "TACoS, broken symmetry (0.002)": 50.0,
            "Algorithm 1, broken symmetry (0.002)": 400.0, "Direct, broken symmetry": 150.0}
    verdict = results_page.table_5_verdict(
        entries(rows, {"Deterministic, 100 steps": 30.0}), TABLE, "cold")
    assert verdict == ("- `cold`: broken symmetry 50.00 against 2.0 x hot estimated noise = "
                       "60.00: met; perfect symmetry worse than broken (90.00 against 50.00): "
                       "holds; Direct 3.0x the better TACoS row; Algorithm 1 8.0x the better "
                       "TACoS row.")
    rows["TACoS, perfect symmetry"] = 40.0
    verdict = results_page.table_5_verdict(
        entries(rows, {"Deterministic, 100 steps": 20.0}), TABLE, "cold")
    assert "60.00" not in verdict and "= 40.00: not met" in verdict
    assert "(40.00 against 50.00): does not hold" in verdict
    assert "Direct 3.8x the better TACoS row" in verdict


def test_rows_not_recorded_are_said_to_be_unmeasured():
    verdict = results_page.table_5_verdict(
        entries({"TACoS, broken symmetry (0.02)": 70.0}, {}), TABLE, "cold")
    assert verdict == ("- `cold`: ratio to hot estimated noise (2.0x): not measured; perfect "
                       "against broken symmetry: not measured; Direct against TACoS: not "
                       "measured; Algorithm 1 against TACoS: not measured.")

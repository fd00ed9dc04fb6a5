"""deepinv interop (issue 15): our linear operators as deepinv physics, checked by deepinv's own
adjointness test and solved by its least squares; a deepinv operator family as our D(x, t).

deepinv needs torchvision, whose PyPI build does not load with the project's CPU torch; these
tests run in .venv-deepinv (bash benchmarks/setup_deepinv_env.sh), which CI sets up and runs.
"""

import pytest
import torch

deepinv = pytest.importorskip("deepinv")
# deepinv's deprecations (gaussian_blur moved in 0.4.1) fail here before our docs go stale
pytestmark = pytest.mark.filterwarnings("error:Function .* is deprecated:DeprecationWarning")

from degrade.deepinv import PhysicsSchedule, to_physics  # noqa: E402

import samplers  # noqa: E402
from degrade import (  # noqa: E402
    GaussianBlurSchedule,
    GaussianMaskSchedule,
    NoiseSchedule,
    SuperResolutionSchedule,
    testing,
)

LINEAR = {
    "blur-reflect": lambda: GaussianBlurSchedule.linear(11, 50, 0.01, 0.35, padding="reflect"),
    "blur-circular": lambda: GaussianBlurSchedule.constant(11, 20, 7.0),
    "blur-zeros": lambda: GaussianBlurSchedule.constant(5, 20, 1.0, padding="zeros"),
    "mask": lambda: GaussianMaskSchedule.linear(50),
    "super-resolution": lambda: SuperResolutionSchedule(3),
    "blur-then-mask": lambda: GaussianMaskSchedule.linear(20)
    @ GaussianBlurSchedule.constant(5, 20, 1.0, padding="reflect"),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_deepinvs_adjointness_test_passes_on_our_operators(name):
    D = LINEAR[name]()
    x = torch.rand(1, 3, 32, 32, dtype=torch.float64)  # deepinv's test draws one image
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    physics = to_physics(D, D.num_steps // 2, **params)
    assert abs(float(physics.adjointness_test(x))) < 1e-8
    assert torch.equal(physics.A(x), D(x, D.num_steps // 2, **params))


def test_a_deepinv_least_squares_solver_deblurs_our_blur():
    D = GaussianBlurSchedule.linear(11, 50, 0.01, 0.35, padding="reflect")
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64,
                   generator=torch.Generator().manual_seed(0)) * 2 - 1
    physics = to_physics(D, 5)
    y = physics.A(x)
    x_hat = physics.A_dagger(y)
    assert float((physics.A(x_hat) - y).norm()) < 1e-3 * float(y.norm())
    assert float((x_hat - x).norm()) < 0.5 * float((y - x).norm())


def test_operators_that_are_not_linear_are_refused():
    with pytest.raises(TypeError, match="not linear"):
        to_physics(NoiseSchedule.linear(10), 3)


def blur_family():
    def physics(t):
        kernel = deepinv.physics.functional.blur.gaussian_blur(sigma=(0.4 * t, 0.4 * t))
        return deepinv.physics.Blur(filter=kernel, padding="circular")

    return PhysicsSchedule(physics, 8, linear=True)


def test_a_deepinv_family_is_a_degradation_our_checks_and_tacos_accept():
    D = blur_family()
    testing.check_degradation(D, shape=(2, 1, 16, 16), gradcheck=False, max_examples=4)
    x0 = torch.rand(3, 1, 16, 16) * 2 - 1
    x_T = D(x0, 8)
    assert torch.allclose(samplers.tacos(lambda x, s: x0, D, x_T, 8), x0, atol=1e-5)
    t = torch.tensor([0, 3, 8])
    for i in range(3):
        assert torch.allclose(D(x0, t)[i], D(x0[i:i + 1], int(t[i]))[0])


@pytest.mark.clone
def test_the_docs_example_runs():
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs/deepinv.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/deepinv.md example", "exec"), {})


def test_the_deepinv_example_runs(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "deepinv_solver.py"
    out = tmp_path / "deepinv.png"
    result = subprocess.run([sys.executable, str(example), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert out.exists() and "adjointness test" in result.stdout

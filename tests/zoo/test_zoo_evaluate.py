"""Feature extractors and zoo.evaluate: the paper's table rows, measured."""

import json

import pytest
import torch

import zoo
from zoo import features, metrics


@pytest.mark.parametrize("name", sorted(name for name, entry in features._registry().items()
                                         if "test_accuracy" in entry))
def test_shipped_classifier_recognises_the_shipped_test_images(name):
    """The classifiers of a data set's labels (facecatnet, of identities and cats, has its own
    checks in test_features.py: no CelebA or AFHQ images are shipped)."""
    entry = features._registry()[name]
    net = features.load_feature_net(name)
    x = zoo.sample_images(entry["dataset"], 64)
    labels = torch.as_tensor(__import__("numpy").load(
        zoo.registry.package_path("data/samples.npz"))[f"{entry['dataset']}_labels"]).long()
    with torch.no_grad():
        accuracy = (net(x).argmax(1) == labels).double().mean().item()
    assert accuracy >= entry["test_accuracy"] - 0.1
    assert features.extract(net.features, x).shape == (64, entry["feature_dim"])


def test_feature_net_checks_its_input_and_resizes():
    net = features.FeatureNet(channels=1)
    assert net.features(torch.zeros(2, 1, 28, 28)).shape == (2, 128)
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        net.features(torch.zeros(2, 3, 32, 32))


def test_unknown_extractor():
    with pytest.raises(KeyError, match="shipped"):
        features.load_feature_net("inception")


@pytest.mark.mnist_data
def test_evaluate_restoration_rows():
    result = zoo.evaluate("mnist-blur", n=24, batch_size=10)
    assert list(result.rows) == ["Degraded", "Sampled (TACoS)", "Direct"]
    assert result.fid_name == "FID-mnistnet"
    for row in result.rows.values():
        assert set(row) == {"FID-mnistnet", "SSIM", "RMSE", "PSNR"}
    rows = result.rows
    assert rows["Direct"]["SSIM"] > rows["Degraded"]["SSIM"]
    assert rows["Direct"]["RMSE"] < rows["Degraded"]["RMSE"]
    # the direct row is R(D(x0, T), T) on the first n test images, measured independently
    model = zoo.load("mnist-blur")
    x0 = zoo.sample_images("mnist", 24)
    direct = model.restore(model.D(x0, model.T), sampler="direct")
    assert rows["Direct"]["RMSE"] == pytest.approx(metrics.rmse(direct, x0), rel=1e-5)
    assert rows["Direct"]["SSIM"] == pytest.approx(metrics.ssim(direct, x0), rel=1e-5)
    table = result.table()
    assert "| Sampled (TACoS) |" in table and "FID-mnistnet" in table


@pytest.mark.mnist_data
def test_evaluate_takes_any_feature_extractor_and_saves(tmp_path):
    def mean_features(x):
        return torch.stack([x.mean(dim=(1, 2, 3)), x.std(dim=(1, 2, 3))], dim=1)

    result = zoo.evaluate("mnist-blur", n=12, batch_size=12, features=mean_features,
                          fid_name="FID-mean")
    assert "FID-mean" in result.rows["Direct"]
    result.save(tmp_path / "r.json")
    result.save(tmp_path / "r.md")
    assert json.loads((tmp_path / "r.json").read_text())["rows"] == result.rows
    assert "| Direct |" in (tmp_path / "r.md").read_text()


@pytest.mark.mnist_data
def test_evaluate_checks_n():
    with pytest.raises(ValueError, match="at least 2"):
        zoo.evaluate("mnist-blur", n=1)
    with pytest.raises(ValueError, match="more than the 10000 images"):
        zoo.evaluate("mnist-blur", n=10_001)


@pytest.mark.mnist_data
def test_evaluate_measures_only_the_rows_asked_for_with_the_same_draws():
    full = zoo.evaluate("mnist-inpaint", n=12, batch_size=5, seed=3)
    direct = zoo.evaluate("mnist-inpaint", n=12, batch_size=5, seed=3, rows=["Direct", "Deg"])
    assert list(direct.rows) == ["Degraded", "Direct"]
    assert direct.rows["Direct"] == pytest.approx(full.rows["Direct"])
    assert direct.rows["Degraded"] == pytest.approx(full.rows["Degraded"])
    generator = zoo.load("mnist-heat-gen")
    alone = zoo.evaluate(generator, n=8, batch_size=8, rows=["Direct"])
    assert len(alone.rows) == 1 and next(iter(alone.rows)).startswith("Direct, broken")
    hot = zoo.load("mnist-blur-diffusion")
    assert hot.select_rows(["Deterministic, 100 steps"]) == ["Deterministic, 100 steps"]
    assert len(hot.select_rows(["Deterministic"])) == 3
    with pytest.raises(ValueError, match=r"no row of mnist-blur starts with \['TACoS'\].*Direct"):
        zoo.evaluate("mnist-blur", n=4, rows=["TACoS"])


@pytest.mark.mnist_data
def test_generated_images_against_a_reference_set_of_their_own_size_with_kid():
    """Issue 28's protocol: n generated images against more real ones (all 1,200 CelebA test
    faces for 1,000 samples), and KID beside FID."""
    from restore import data

    generator = zoo.load("mnist-heat-gen")
    plain = zoo.evaluate(generator, n=8, batch_size=8, rows=["Direct"])
    wider = zoo.evaluate(generator, n=8, batch_size=8, rows=["Direct"], reference=20, kid=True)
    assert plain.setting.startswith("8 generated images against 8 mnist test images")
    assert wider.setting.startswith("8 generated images against 20 mnist test images")
    row = next(iter(wider.rows))
    assert set(wider.rows[row]) == {"FID-mnistnet", "KID-mnistnet"}
    images = zoo.load("mnist-heat-gen").generate(8, seed=0, noise_std=0.02, sampler="direct")
    net = features.load_feature_net("mnistnet")
    generated = features.extract(net, images)
    real = features.extract(net, data.stack(data.load("mnist", "test"), range(20)))
    assert wider.rows[row]["FID-mnistnet"] == pytest.approx(
        metrics.frechet_distance_of(generated, real), rel=1e-6)
    assert wider.rows[row]["KID-mnistnet"] == pytest.approx(
        1000 * metrics.kernel_distance_of(generated, real, subset_size=8), rel=1e-6)
    assert "| Direct, broken symmetry (0.02) |" in wider.table()
    with pytest.raises(ValueError, match="apply to generation models"):
        zoo.evaluate("mnist-blur", n=4, reference=8)
    with pytest.raises(ValueError, match="reference must be from 2 to the 10000"):
        zoo.evaluate(generator, n=4, reference=10_001)


@pytest.mark.mnist_data
def test_record_joins_the_rows_asked_for_to_the_recorded_ones(tmp_path, monkeypatch, capsys):
    import shutil

    from zoo.maintain import record

    registry = shutil.copytree(zoo.registry.model_folder("mnist-blur"), tmp_path / "mnist-blur")

    def main(*args: str) -> int:
        return record.main(["mnist-blur", "--batch-size", "4", "--folder", str(registry),
                            *args])

    def recorded() -> dict:
        return record.recorded_metrics("mnist-blur", registry)

    assert main("--n", "4", "--rows", "Direct", "--replace") == 0
    assert list(recorded()["rows"]) == ["Direct"]
    assert recorded()["setting"].startswith("4 mnist test images")
    direct = recorded()["rows"]["Direct"]
    assert main("--n", "4", "--rows", "Degraded") == 0
    assert list(recorded()["rows"]) == ["Degraded", "Direct"]
    assert recorded()["rows"]["Direct"] == direct
    assert "| Direct |" in recorded()["table"] and "| Degraded |" in recorded()["table"]
    evaluated = []
    monkeypatch.setattr(record, "evaluate", lambda *a, **kw: evaluated.append(a))
    assert main("--n", "5", "--rows", "Direct") == 2
    assert "measured with setting '4 mnist" in capsys.readouterr().err
    assert evaluated == []                                  # refused before evaluating
    monkeypatch.undo()
    assert main("--n", "4") == 0
    assert list(recorded()["rows"]) == zoo.load("mnist-blur").row_names()


def test_merge_metrics_replaces_rows_by_name_in_the_models_order():
    from zoo.maintain.record import merge_metrics

    def measured(rows: dict, setting: str = "8 images", fid: str = "FID-x") -> dict:
        return zoo.Evaluation(model="m", setting=setting, fid_name=fid, rows=rows).to_dict()

    new = measured({"B": {"RMSE": 2.0}})
    assert merge_metrics(None, new) == new
    joined = merge_metrics(measured({"A": {"RMSE": 1.0}, "B": {"RMSE": 0.0}}), new,
                           order=["B", "A"])
    assert joined["rows"] == {"B": {"RMSE": 2.0}, "A": {"RMSE": 1.0}}
    assert list(joined["rows"]) == ["B", "A"]
    other = {**measured({"A": {"RMSE": 1.0}}), "weights_sha256": "a" * 64}
    with pytest.raises(ValueError, match="measured with weights_sha256"):
        merge_metrics({**measured({"B": {"RMSE": 0.0}}), "weights_sha256": "b" * 64}, other)
    assert joined["table"].index("| B |") < joined["table"].index("| A |")
    assert list(merge_metrics(measured({"C": {}}), new, order=["B"])["rows"]) == ["B", "C"]
    with pytest.raises(ValueError, match="fid_name 'FID-x'"):
        merge_metrics(measured({"A": {}}, fid="FID-x"), measured({}, fid="FID-y"))


def test_record_errors_end_in_one_line(tmp_path, capsys):
    from zoo.maintain import record

    assert record.main(["no-such-model"]) == 2
    assert record.main(["mnist-blur", "--folder", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "no pretrained model named 'no-such-model'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 2

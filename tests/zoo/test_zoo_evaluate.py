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
def test_the_progress_bar_counts_images_not_batches(capsys):
    zoo.evaluate("mnist-blur", n=7, batch_size=3, rows=["Direct"], features=None,
                 progress=True)
    assert "evaluate mnist-blur: 7/7 " in capsys.readouterr().err


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
        metrics.kernel_distance_of(generated, real, subset_size=8), rel=1e-6)
    assert "| | FID-mnistnet | KID-mnistnet |" in wider.table()
    assert "| Direct, broken symmetry (0.02) |" in wider.table()
    with pytest.raises(ValueError, match="apply to generation models"):
        zoo.evaluate("mnist-blur", n=4, reference=8)
    with pytest.raises(ValueError, match="reference must be from 2 to the 10000"):
        zoo.evaluate(generator, n=4, reference=10_001)


def test_a_generator_draws_more_images_than_the_split_holds(tmp_path):
    """n counts a generator's samples (1,000 cats against AFHQ's 500 test cats): 8 drawn against
    a folder of 6 real images, all 6 the reference by default; a restorer still needs n
    images."""
    from zoo.images import save_images

    save_images(zoo.sample_images("mnist", 6), tmp_path, [f"{i}.png" for i in range(6)])
    generator = zoo.load("mnist-heat-gen")
    result = zoo.evaluate(generator, n=8, batch_size=4, rows=["Direct"], data_folder=tmp_path)
    assert result.setting.startswith("8 generated images against 6 mnist folder")
    assert all(value == value for row in result.rows.values() for value in row.values())
    with pytest.raises(ValueError, match="n = 8 is more than the 6 images"):
        zoo.evaluate("mnist-blur", n=8, data_folder=tmp_path)
    with pytest.raises(ValueError, match="reference must be from 2 to the 6 images"):
        zoo.evaluate(generator, n=8, reference=7, data_folder=tmp_path)


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


@pytest.mark.mnist_data
def test_each_block_is_measured_as_if_alone():
    """Issue 29: a part of the test set where a model fails must not hide in the whole. Each
    block's figures are those of an evaluation of its images alone (``start``)."""
    whole = zoo.evaluate("mnist-blur", n=24, batch_size=10, rows=["Deg", "Direct"], blocks=10)
    assert list(whole.blocks) == ["0-9 (7 classes)", "10-19 (8 classes)", "20-23 (3 classes)"]
    for block, start, n in (("10-19 (8 classes)", 10, 10), ("20-23 (3 classes)", 20, 4)):
        alone = zoo.evaluate("mnist-blur", n=n, start=start, rows=["Deg", "Direct"])
        assert alone.setting.startswith(f"{n} mnist test images ({start} to {start + n - 1})")
        for row in ("Degraded", "Direct"):
            assert whole.blocks[block][row] == pytest.approx(alone.rows[row], rel=1e-5)
    assert whole.rows["Direct"] != pytest.approx(whole.blocks["0-9 (7 classes)"]["Direct"])
    table = whole.block_table().splitlines()
    assert table[0] == ("| images | RMSE Degraded | RMSE Direct | FID-mnistnet Degraded | "
                        "FID-mnistnet Direct | restored better in both |")
    assert len(table) == 5 and all(line.endswith(("| yes |", "| no |")) for line in table[2:])
    saved = whole.to_dict()
    assert saved["block_table"] == whole.block_table() and "blocks" in saved
    assert "blocks" not in zoo.evaluate("mnist-blur", n=4, rows=["Direct"]).to_dict()
    alone = zoo.evaluate("mnist-blur", n=4, rows=["Direct"], blocks=2).block_table()
    assert alone.splitlines()[0] == "| images | RMSE Direct | FID-mnistnet Direct |"


def test_a_block_is_named_by_its_class_and_judged_on_rmse_and_fid():
    from zoo.evaluate import _block_name, _improves

    labels = torch.tensor([0] * 5 + [8] * 5 + [3] * 2)
    assert _block_name(0, 4, labels, "cifar10") == "0-4 (airplane)"
    assert _block_name(5, 9, labels, "cifar10") == "5-9 (ship)"
    assert _block_name(5, 9, labels, "mnist") == "5-9 (class 8)"
    assert _block_name(8, 11, labels, "cifar10") == "8-11 (2 classes)"
    assert _block_name(0, 4, None, "cifar10") == "0-4"
    degraded = {"RMSE": 0.08, "FID-x": 2.0}
    assert _improves({"Degraded": degraded, "Direct": {"RMSE": 0.07, "FID-x": 1.0}}, "FID-x")
    for worse in ({"RMSE": 0.09, "FID-x": 1.0}, {"RMSE": 0.07, "FID-x": 3.0}):
        assert not _improves({"Degraded": degraded, "TACoS": {"RMSE": 0.07, "FID-x": 1.0},
                              "Direct": worse}, "FID-x")


@pytest.mark.mnist_data
def test_start_and_blocks_are_checked():
    with pytest.raises(ValueError, match="start must be from 0 to 9996 for 4 of the 10000"):
        zoo.evaluate("mnist-blur", n=4, start=9997)
    with pytest.raises(ValueError, match="blocks must be from 2 to n = 4"):
        zoo.evaluate("mnist-blur", n=4, blocks=5)
    with pytest.raises(ValueError, match="start and blocks apply to restorers"):
        zoo.evaluate("mnist-heat-gen", n=4, blocks=2)


@pytest.mark.mnist_data
def test_record_keeps_the_figures_of_other_images_beside_the_main_ones(tmp_path):
    """Issue 29: every restorer's card gives the whole test set and its first 1,000 images."""
    import shutil

    from zoo.maintain import record

    folder = shutil.copytree(zoo.registry.model_folder("mnist-blur"), tmp_path / "mnist-blur")
    main_metrics = record.recorded_metrics("mnist-blur", folder)
    shipped = json.loads((folder / "config.json").read_text()).get("subsets", [])
    args = ["mnist-blur", "--batch-size", "4", "--folder", str(folder), "--rows", "Direct"]
    assert record.main([*args, "--n", "4", "--subset", "--replace"]) == 0
    assert record.main([*args, "--n", "6", "--start", "2", "--blocks", "3", "--subset",
                        "--replace"]) == 0
    assert record.main([*args, "--n", "4", "--subset", "--replace"]) == 0   # replaces its own
    entry = json.loads((folder / "config.json").read_text())
    assert entry["metrics"] == main_metrics
    assert entry["subsets"][:len(shipped)] == shipped               # the card's own: kept
    added = entry["subsets"][len(shipped):]
    assert [m["setting"][:28] for m in added] == [
        "6 mnist test images (2 to 7)", "4 mnist test images from t ="]
    card = (folder / "README.md").read_text()
    for measured in (main_metrics, *entry["subsets"]):
        assert f"Measured ({measured['setting']}):\n\n{measured['table']}" in card
    assert added[0]["block_table"] in card and "2-4 (3 classes)" in card
    assert record.recorded_metrics("mnist-blur", folder, subset=added[1]["setting"]) == added[1]


@pytest.mark.mnist_data
def test_record_measures_a_generator_against_the_training_images_beside_the_test_ones(tmp_path):
    """Issue 28's AFHQ protocol: the 500 test cats, and 1,000 training cats as a subset."""
    import shutil

    from zoo.maintain import record

    folder = shutil.copytree(zoo.registry.model_folder("mnist-heat-gen"), tmp_path / "gen")
    main_metrics = record.recorded_metrics("mnist-heat-gen", folder)
    args = ["mnist-heat-gen", "--n", "4", "--batch-size", "4", "--folder", str(folder),
            "--rows", "Direct", "--replace", "--subset"]
    assert record.main([*args, "--split", "train", "--reference", "6"]) == 0
    entry = json.loads((folder / "config.json").read_text())
    assert entry["metrics"] == main_metrics
    added = entry["subsets"][-1]
    assert added["setting"] == "4 generated images against 6 mnist train images, seed 0"
    expected = zoo.evaluate("mnist-heat-gen", n=4, split="train", reference=6, rows=["Direct"],
                            batch_size=4)
    assert added["rows"] == expected.rows


@pytest.mark.mnist_data
def test_one_generation_is_measured_against_several_reference_sets(tmp_path):
    """Issue 28's AFHQ protocol at the cost of one generation: the samples against the test
    images and, with also, the first images of the training split; recorded as main figures
    and a subset."""
    import shutil

    from zoo.maintain import record

    generator = zoo.load("mnist-heat-gen")
    both = zoo.evaluate(generator, n=8, batch_size=8, rows=["Direct"], reference=10, kid=True,
                        also=[("train", 12), ("test", 6)])
    alone = [zoo.evaluate(generator, n=8, batch_size=8, rows=["Direct"], split=split,
                          reference=count, kid=True)
             for split, count in (("test", 10), ("train", 12), ("test", 6))]
    assert [e.setting for e in (both, *both.also)] == [e.setting for e in alone]
    row = "Direct, broken symmetry (0.02)"
    for measured, expected in zip((both, *both.also), alone, strict=True):
        assert measured.rows[row] == pytest.approx(expected.rows[row], rel=1e-6)
    assert both.also[0].rows[row] != pytest.approx(both.rows[row])
    assert [other["setting"] for other in both.to_dict()["also"]] == [
        e.setting for e in alone[1:]]
    assert "also" not in alone[0].to_dict()
    with pytest.raises(ValueError, match="count must be from 2 to the 60000"):
        zoo.evaluate(generator, n=4, also=[("train", 60_001)])
    with pytest.raises(ValueError, match="split train or test"):
        zoo.evaluate(generator, n=4, also=[("val", 10)])
    with pytest.raises(ValueError, match="also measures a generator"):
        zoo.evaluate("mnist-blur", n=4, also=[("train", 10)])

    folder = shutil.copytree(zoo.registry.model_folder("mnist-heat-gen"), tmp_path / "gen")
    args = ["mnist-heat-gen", "--n", "8", "--batch-size", "8", "--folder", str(folder),
            "--rows", "Direct", "--replace", "--kid", "--reference", "10"]
    assert record.main([*args, "--also", "train:12"]) == 0
    entry = json.loads((folder / "config.json").read_text())
    assert entry["metrics"]["rows"][row] == pytest.approx(alone[0].rows[row], rel=1e-6)
    assert "also" not in entry["metrics"]
    assert entry["subsets"][-1]["setting"] == alone[1].setting
    assert entry["subsets"][-1]["rows"][row] == pytest.approx(alone[1].rows[row], rel=1e-6)
    with pytest.raises(SystemExit):
        record.main([*args, "--also", "train-12"])

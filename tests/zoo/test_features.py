"""The feature networks of the Frechet distances: facecatnet's training and validation
(python -m zoo.maintain.features), on stand-in data so that it runs in seconds."""

import pytest
import torch
import torch.nn.functional as F
from zoo.features import FeatureNet
from zoo.maintain import features as maintain


def test_a_64_px_feature_net_ends_at_the_same_features_and_resizes_other_sizes():
    net = FeatureNet(3, 201, 128, image_size=64)
    assert net.features(torch.zeros(2, 3, 64, 64)).shape == (2, 128)
    assert net.features(torch.zeros(2, 3, 32, 32)).shape == (2, 128)
    assert net(torch.zeros(1, 3, 64, 64)).shape == (1, 201)
    with pytest.raises(ValueError, match="image_size must be 32 or 64"):
        FeatureNet(3, 2, 8, image_size=48)


def test_facecatnet_trains_on_identities_cats_and_rotations(monkeypatch):
    g = torch.Generator().manual_seed(0)

    def images(split, data_dir=None):
        """Three 'identities' (a bright corner each) and cats (a dark stripe)."""
        x = torch.rand(48, 3, 64, 64, generator=g) * 0.2 - 0.6
        y = torch.arange(48) % 4
        for k in range(3):
            x[y == k, :, :16, 16 * k:16 * k + 16] = 1.0
        x[y == 3, :, 40:48] = -1.0
        return x, y

    monkeypatch.setattr(maintain, "face_cat_images", images)
    net, accuracies = maintain.train_face_cat_net(epochs=1, batch_size=16, lr=2e-3)
    assert set(accuracies) == {"identity_accuracy_held_out", "face_or_cat_accuracy_test",
                               "rotation_accuracy_test"}
    assert all(0 <= value <= 1 for value in accuracies.values())
    assert net.num_classes == 4 and not net.training


def test_the_card_says_whether_fid_rises_with_blur_and_noise():
    entry = {"num_classes": 201, "feature_dim": 128, "epochs": 6, "seed": 0,
             "wall_seconds": 1200, "command": "python -m zoo.maintain.features facecatnet",
             "identity_accuracy_held_out": 0.5, "face_or_cat_accuracy_test": 0.99,
             "rotation_accuracy_test": 0.9}
    rows = [{"row": f"600 faces against 600 blurred, sigma {s} px", "FID": fid, "KID": 0.0}
            for s, fid in ((1, 2.0), (2, 3.0))]
    rows += [{"row": f"600 with noise of std {s}", "FID": fid, "KID": 0.0}
             for s, fid in ((0.1, 2.0), (0.2, 5.0))]
    assert "FID rises step by step" in maintain.card(rows, entry)
    rows[1]["FID"] = 1.0
    assert "FID does NOT rise" in maintain.card(rows, entry)


@pytest.mark.skipif(not maintain.data_available(), reason="../shared/data is not present")
def test_the_validation_rows_on_the_real_test_images():
    rows = maintain.validate_face_cat(lambda x: F.adaptive_avg_pool2d(x, 8).flatten(1))
    by_name = {r["row"]: r["FID"] for r in rows}
    assert len(rows) == 12 and all(r["FID"] >= 0 for r in rows)
    halves = by_name["CelebA test: first 600 against last 600 faces"]
    blurred = [r["FID"] for r in rows if "blurred" in r["row"]]
    assert blurred == sorted(blurred) and blurred[-1] > 2 * halves
    assert by_name["1,200 CelebA test faces against 500 AFHQ test cats"] > 5 * halves


def test_the_shipped_facecatnet_loads_and_its_recorded_validation_passes():
    import itertools

    from zoo.features import EXTRACTORS, _registry, load_feature_net

    net = load_feature_net("facecatnet")
    assert net.image_size == 64 and EXTRACTORS["celeba"] == EXTRACTORS["afhq"] == "facecatnet"
    rows = {r["row"]: r["FID"] for r in _registry()["facecatnet"]["validation"]}
    for kind in ("blurred", "noise of std"):
        values = [v for k, v in rows.items() if kind in k]
        assert len(values) == 4 and all(a < b for a, b in itertools.pairwise(values))
    halves = rows["CelebA test: first 600 against last 600 faces"]
    assert rows["1,200 CelebA test faces against 500 AFHQ test cats"] > 50 * halves
    seeds = [v for k, v in rows.items() if "seed" in k]
    assert len(seeds) == 2 and abs(seeds[0] - seeds[1]) < 0.05 * seeds[0]

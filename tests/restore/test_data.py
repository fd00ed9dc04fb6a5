"""restore.data: the named sets, user files, in-memory tensors, splits, flips and the cache."""

import gzip
import io

import numpy as np
import pytest
import torch
from PIL import Image
from restore.cache import cache_dir
from restore.images import ColourToGreyWarning

from restore import data

SHARED = data.Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))


def digits(n=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    blob = header + array.tobytes()
    (gzip.open if compress else open)(path, "wb").write(blob)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_from_idx_files_equals_mnist_from_npz(tmp_path, compress):
    images, labels = digits(), np.arange(5, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)
    np.savez(tmp_path / "mnist.npz", x_test=images, y_test=labels, x_train=images, y_train=labels)
    from_idx = data.MNIST(tmp_path, "test")
    from_npz = data.MNIST(tmp_path / "mnist.npz", "test")
    assert len(from_idx) == 5 and from_idx.shape == (1, 32, 32)
    assert torch.equal(from_idx.tensor(), from_npz.tensor())
    assert np.array_equal(from_idx.labels, labels)


def test_mnist_is_resized_bilinearly_to_32():
    images = digits()
    resized = torch.nn.functional.interpolate(torch.from_numpy(images).float()[:, None],
                                              size=(32, 32), mode="bilinear")
    np.savez(cache_dir().parent / "m.npz", x_train=images, y_train=np.zeros(5),
             x_test=images, y_test=np.zeros(5))
    ours = data.MNIST(cache_dir().parent / "m.npz").tensor()
    assert ((ours + 1) * 127.5 - resized).abs().max() <= 0.5 + 1e-4
    assert data.MNIST(cache_dir().parent / "m.npz", size=28).shape == (1, 28, 28)


def jpeg_archive(path, images):
    blobs = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=95)
        blobs.append(np.frombuffer(buffer.getvalue(), dtype=np.uint8))
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    np.savez(path, train_jpeg=np.concatenate(blobs), train_offsets=offsets,
             train_labels=np.arange(len(images), dtype=np.uint8))


def test_jpeg_archive_decodes_and_caches(tmp_path, monkeypatch):
    ramp = np.linspace(0, 255, 8)
    images = np.stack([np.stack(np.broadcast_arrays(ramp[:, None] * (i + 1) / 4, ramp[None, :],
                                                    np.full((8, 8), 60 * i)), -1)
                       for i in range(4)]).astype(np.uint8)
    jpeg_archive(tmp_path / "set.npz", images)
    dataset = data.JpegArchive(tmp_path / "set.npz", "train")
    assert len(dataset) == 4 and dataset.shape == (3, 8, 8)
    assert abs(((dataset[0] + 1) * 127.5).permute(1, 2, 0).numpy() - images[0]).mean() < 20
    monkeypatch.setattr(data, "_decode", lambda blob: pytest.fail("decoded twice"))
    again = data.JpegArchive(tmp_path / "set.npz", "train")
    assert torch.equal(again.tensor(), dataset.tensor())
    with pytest.raises(ValueError, match="no 'test' split"):
        data.JpegArchive(tmp_path / "set.npz", "test")


def test_image_folder_with_class_folders(tmp_path):
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.new("RGB", (10, 12), (i * 40, 0, 0)).save(tmp_path / label / f"{i}.png")
    dataset = data.ImageFolder(tmp_path, size=8)
    assert len(dataset) == 6 and dataset.shape == (3, 8, 8)
    assert dataset.classes == ["cats", "dogs"] and list(dataset.labels) == [0, 0, 0, 1, 1, 1]
    with pytest.warns(ColourToGreyWarning, match="4 of the 6 images"):  # i = 0 is black
        assert data.ImageFolder(tmp_path, channels=1).shape == (1, 12, 10)
    Image.new("RGB", (5, 5)).save(tmp_path / "cats" / "odd.png")
    with pytest.raises(ValueError, match="different sizes"):
        data.ImageFolder(tmp_path)


def test_tensor_images_and_validation_split():
    dataset = data.TensorImages(torch.arange(20, dtype=torch.uint8).view(20, 1, 1, 1))
    assert dataset[3].item() == pytest.approx(3 / 127.5 - 1)
    train, val = data.split_validation(dataset, 5, seed=1)
    assert len(train) == 15 and len(val) == 5
    assert not set(train.indices) & set(val.indices)
    assert data.split_validation(dataset, 5, seed=1)[1].indices == val.indices


def test_flips_are_reproducible_per_epoch():
    images = torch.arange(16.0).view(1, 1, 4, 4).expand(50, 1, 4, 4)
    flips = data.HorizontalFlips(data.TensorImages(images), seed=3)
    first = [bool(torch.equal(flips[i], images[i].flip(-1))) for i in range(50)]
    assert 10 < sum(first) < 40
    assert first == [bool(torch.equal(flips[i], images[i].flip(-1))) for i in range(50)]
    flips.set_epoch(1)
    assert first != [bool(torch.equal(flips[i], images[i].flip(-1))) for i in range(50)]


def test_missing_files_say_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"mnist\.npz not found .*COLDDIFF_DATA"):
        data.load("mnist", data_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="no MNIST train images"):
        data.MNIST(tmp_path)
    with pytest.raises(ValueError, match="unknown data set"):
        data.load("imagenet")


@pytest.mark.skipif(not (SHARED / "mnist.npz").exists(), reason="../shared/data is not present")
def test_the_shared_files():
    mnist = data.load("mnist", "test", SHARED)
    assert len(mnist) == 10_000 and mnist.shape == (1, 32, 32)
    celeba = data.load("celeba", "test", SHARED)
    assert len(celeba) == 1200 and celeba.shape == (3, 64, 64)
    image = celeba[0]
    assert image.min() >= -1 and image.max() <= 1


@pytest.mark.parametrize("images, message", [
    (np.random.rand(5, 28, 28), "float64 values: expected 8-bit pixels"),
    (np.full((5, 28, 28), np.nan), "float64 values"),
    (np.full((5, 28, 28), 300, dtype=np.int64), "values 300..300"),
    (np.full((5, 28, 28), -1, dtype=np.int16), "values -1..-1"),
    (np.zeros((5, 784), dtype=np.uint8), "flat? reshape to (N, H, W)"),
    (np.zeros((0, 28, 28), dtype=np.uint8), "expected non-empty images"),
    (np.zeros((5, 28, 28, 3), dtype=np.uint8), "expected grey images"),
])
def test_mnist_arrays_are_refused_rather_than_coerced(tmp_path, monkeypatch, images, message):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=images, y_train=np.zeros(len(images)))
    with pytest.raises(ValueError, match="x_train") as error:
        data.MNIST(path, "train", size=16)
    assert message in str(error.value)


def test_mnist_arrays_of_other_integer_types_in_range_load_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))
    images = np.arange(4 * 8 * 8).reshape(4, 8, 8) % 256
    np.savez(tmp_path / "m.npz", x_test=images.astype(np.int64), y_test=np.arange(4))
    loaded = data.MNIST(tmp_path / "m.npz", "test", size=8)
    assert np.array_equal(np.asarray(loaded.images)[..., 0], images.astype(np.uint8))


def test_missing_keys_and_wrong_labels_are_named(tmp_path):
    np.savez(tmp_path / "m.npz", x_train=np.zeros((3, 8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"lacks the key x_test \(it holds: x_train\)"):
        data.MNIST(tmp_path / "m.npz", "test", size=8)
    np.savez(tmp_path / "l.npz", x_train=np.zeros((3, 8, 8), dtype=np.uint8),
             y_train=np.zeros(5))
    with pytest.raises(ValueError, match="one label per image"):
        data.MNIST(tmp_path / "l.npz", "train", size=8)
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        data.MNIST(tmp_path / "junk.npz", "train", size=8)


def test_a_full_disk_leaves_no_cache_file_behind(tmp_path, monkeypatch):
    from restore.cache import cached

    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path))
    array = np.arange(1000, dtype=np.uint8)

    def full_disk(file, value):
        file.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    assert np.array_equal(cached("key", lambda: array), array)   # the data, uncached
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_cache_file_is_made_again(tmp_path, monkeypatch):
    from restore.cache import cached

    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path))
    array = np.arange(1000, dtype=np.uint8)
    assert np.array_equal(cached("key", lambda: array), array)
    [path] = tmp_path.glob("*.npy")
    path.write_bytes(path.read_bytes()[:300])
    assert np.array_equal(cached("key", lambda: array), array)
    assert np.array_equal(np.load(path), array)

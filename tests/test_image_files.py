"""Image files of every mode and bit depth are read with their true values or refused, in one
line that names the file (issue 13)."""

import numpy as np
import pytest
import torch
from PIL import Image
from restore.images import read_image
from zoo.images import read_images

from restore import data

RAMP = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)


def test_16_bit_png_keeps_its_values(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(RAMP).save(path)
    assert Image.open(path).mode.startswith("I")
    pixels = read_image(path, 1)
    assert pixels.dtype == np.float32
    assert np.allclose(pixels[..., 0], RAMP / 65535, atol=1e-6)
    x = read_images([path], 1, 8)[0, 0]
    assert torch.allclose(x, torch.from_numpy(RAMP / 65535 * 2 - 1).float(), atol=1e-6)
    assert (x > 0.99).float().mean() < 0.05            # not white, as 8-bit clipping made it


def test_float_tiff_in_unit_range_keeps_its_values_and_outside_is_refused(tmp_path):
    values = (RAMP / 65535).astype(np.float32)
    path = tmp_path / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    assert np.allclose(read_image(path, 3)[..., 1], values, atol=1e-7)
    Image.fromarray(values * 200, mode="F").save(tmp_path / "loud.tif")
    with pytest.raises(ValueError, match=r"loud\.tif: floating-point pixels must lie in"):
        read_image(tmp_path / "loud.tif", 1)


@pytest.mark.parametrize("mode", ["P", "CMYK", "1", "L", "RGB"])
def test_8_bit_modes_read_as_pil_converts_them(tmp_path, mode):
    rgb = Image.fromarray((np.arange(8 * 8 * 3) % 256).astype(np.uint8).reshape(8, 8, 3))
    image = rgb.convert(mode)
    path = tmp_path / f"image.{'tif' if mode == 'CMYK' else 'png'}"
    image.save(path)
    for channels, target in ((1, "L"), (3, "RGB")):
        expected = np.asarray(Image.open(path).convert(target)).reshape(8, 8, channels)
        pixels = read_image(path, channels)
        assert pixels.dtype == np.uint8 and np.array_equal(pixels, expected)
    assert torch.equal(read_images([path], 1, 8)[0],
                       torch.from_numpy(np.array(Image.open(path).convert("L"))).float()[None]
                       / 127.5 - 1)


def test_alpha_must_be_opaque(tmp_path):
    opaque = Image.new("RGBA", (8, 8), (10, 20, 30, 255))
    opaque.save(tmp_path / "opaque.png")
    assert np.array_equal(read_image(tmp_path / "opaque.png", 3)[0, 0], [10, 20, 30])
    Image.new("LA", (8, 8), (100, 128)).save(tmp_path / "see-through.png")
    with pytest.raises(ValueError, match=r"see-through\.png is transparent"):
        read_image(tmp_path / "see-through.png", 1)


def test_bombs_and_corrupt_files_are_refused_by_name(tmp_path, monkeypatch):
    Image.new("L", (64, 64)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ValueError, match=r"big\.png is too large to read safely"):
        read_image(tmp_path / "big.png", 1)
    monkeypatch.undo()
    Image.new("L", (16, 16), 3).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes((tmp_path / "good.png").read_bytes()[:40])
    with pytest.raises(ValueError, match=r"bad\.png is not an image file that can be read"):
        read_images([tmp_path / "bad.png"], 1, 16)


def test_a_corrupt_file_in_a_data_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (16, 16), i).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    with pytest.raises(ValueError, match=r"broken\.png is not an image file"):
        data.ImageFolder(folder, channels=1)


def test_a_16_bit_data_folder_is_stored_as_the_nearest_8_bits(tmp_path, monkeypatch):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "deep"
    folder.mkdir()
    Image.fromarray(RAMP).save(folder / "a.png")
    images = data.ImageFolder(folder, channels=1).tensor()
    expected = np.round(RAMP / 65535 * 255) / 127.5 - 1
    assert torch.allclose(images[0, 0], torch.from_numpy(expected).float(), atol=1e-6)


def test_a_cameras_exif_orientation_is_applied(tmp_path):
    from PIL import Image
    from restore.images import read_image

    picture = Image.new("L", (8, 4), 0)
    picture.putpixel((0, 0), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    picture.save(tmp_path / "portrait.png", exif=exif)
    pixels = read_image(tmp_path / "portrait.png", 1)
    assert pixels.shape == (8, 4, 1)  # upright: taller than wide
    assert pixels[0, -1, 0] == 255  # the top-left pixel turned to the top right

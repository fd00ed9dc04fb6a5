"""Image files of every mode and bit depth are read with their true values or refused, in one
line that names the file (issue 13)."""

import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile
from png_encoder import encode
from restore.images import ColourToGreyWarning, read_image
from restore.png import read_deep
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


@pytest.mark.parametrize("interlace", [False, True], ids=["plain", "adam7"])
@pytest.mark.parametrize("bands", [3, 4, 2], ids=["rgb", "rgba", "grey-alpha"])
def test_16_bit_colour_and_grey_alpha_pngs_keep_their_values(tmp_path, bands, interlace):
    """Issue 27, case 14: PIL narrows these to 8 bits; every sample comes back whole, through
    every scanline filter, and its high byte is what PIL decodes."""
    rng = np.random.default_rng(bands)
    samples = rng.integers(0, 65536, (19, 13, bands)).astype(np.uint16)
    if bands in (4, 2):
        samples[..., -1] = 65535                              # opaque
    (tmp_path / "deep.png").write_bytes(encode(samples, seed=bands, interlace=interlace))
    colour = samples[..., :3] if bands >= 3 else samples[..., :1]
    assert np.array_equal(read_deep(tmp_path / "deep.png"), samples)
    mode = {2: "LA", 3: "RGB", 4: "RGBA"}[bands]
    narrowed = np.asarray(Image.open(tmp_path / "deep.png").convert(mode))
    assert np.array_equal(narrowed.reshape(samples.shape), (samples >> 8).astype(np.uint8))
    channels = colour.shape[-1]
    pixels = read_image(tmp_path / "deep.png", channels)
    assert pixels.dtype == np.float32
    np.testing.assert_array_equal(pixels, (colour / 65535).astype(np.float32))
    assert read_image(tmp_path / "deep.png", channels, size=4).shape == (4, 4, channels)
    if bands != 3:
        samples[3, 4, -1] = 65534
        (tmp_path / "clear.png").write_bytes(encode(samples, interlace=interlace))
        with pytest.raises(ValueError, match=r"clear\.png is transparent"):
            read_image(tmp_path / "clear.png", channels)


def test_a_16_bit_colour_png_made_grey_is_luma_and_warns(tmp_path):
    samples = np.random.default_rng(0).integers(0, 65536, (6, 5, 3)).astype(np.uint16)
    (tmp_path / "colour.png").write_bytes(encode(samples))
    with pytest.warns(ColourToGreyWarning, match=r"colour\.png is in colour"):
        grey = read_image(tmp_path / "colour.png", 1)
    np.testing.assert_allclose(grey[..., 0], samples / 65535 @ np.array([0.299, 0.587, 0.114]),
                               atol=1e-6)
    Image.new("RGB", (4, 4), (10, 200, 30)).save(tmp_path / "green.png")
    Image.new("RGB", (4, 4), (90, 90, 90)).save(tmp_path / "grey-as-rgb.png")
    with pytest.warns(ColourToGreyWarning, match=r"green\.png is in colour"):
        read_image(tmp_path / "green.png", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_image(tmp_path / "grey-as-rgb.png", 1)             # nothing lost: no warning
        read_image(tmp_path / "green.png", 3)


def test_a_16_bit_png_is_set_upright_by_its_exif_orientation(tmp_path):
    samples = np.zeros((4, 8, 3), dtype=np.uint16)
    samples[0, 0] = 65535
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    (tmp_path / "portrait.png").write_bytes(encode(samples, exif=exif.tobytes()))
    pixels = read_image(tmp_path / "portrait.png", 3)
    assert pixels.shape == (8, 4, 3) and (pixels[0, -1] == 1).all() and pixels.sum() == 3


def test_a_damaged_16_bit_png_is_refused_by_name(tmp_path):
    samples = np.ones((5, 5, 3), dtype=np.uint16)
    data = encode(samples)
    (tmp_path / "short.png").write_bytes(data[:-20])
    altered = bytearray(data)
    altered[-20] ^= 0xFF                                        # inside the IDAT chunk
    (tmp_path / "altered.png").write_bytes(bytes(altered))
    for name in ("short", "altered"):
        with pytest.raises(ValueError, match=rf"{name}\.png is (truncated|corrupt)"):
            read_image(tmp_path / f"{name}.png", 3)


def test_float_tiff_in_unit_range_keeps_its_values_and_outside_is_refused(tmp_path):
    values = (RAMP / 65535).astype(np.float32)
    path = tmp_path / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    assert np.allclose(read_image(path, 3)[..., 1], values, atol=1e-7)
    Image.fromarray(values * 200, mode="F").save(tmp_path / "loud.tif")
    with pytest.raises(ValueError, match=r"loud\.tif: floating-point pixels must lie in"):
        read_image(tmp_path / "loud.tif", 1)


@pytest.mark.filterwarnings("ignore::restore.images.ColourToGreyWarning")
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


def test_a_file_claiming_more_pixels_than_fit_is_refused_from_its_header(tmp_path, monkeypatch):
    """Issue 27, case 10: a 66-byte PNG that claims 80,000,000 x 1 pixels (under PIL's bomb
    threshold) is refused before decoding when the memory free cannot hold it, and a decoder
    that runs out of memory anyway ends in one line naming the file."""
    import struct
    import zlib

    from restore import memory

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 80_000_000, 1, 8, 0, 0, 0, 0)
    (tmp_path / "claims.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                                          + chunk(b"IDAT", zlib.compress(b"\x00"))
                                          + chunk(b"IEND", b""))
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image))
    monkeypatch.setattr(memory, "available", lambda: 2**30)
    with pytest.raises(ValueError, match=r"claims\.png \(80000000 x 1 pixels\) needs about 2\.4 "
                                         r"GiB and 1\.0 GiB is free: make it smaller first"):
        read_images([tmp_path / "claims.png"], 1, 28)
    assert decoded == []

    def out_of_memory(image):
        raise MemoryError

    monkeypatch.setattr(memory, "available", lambda: 2**40)
    monkeypatch.setattr(ImageFile.ImageFile, "load", out_of_memory)
    with pytest.raises(ValueError, match=r"claims\.png \(80000000 x 1 pixels\) does not fit"):
        read_images([tmp_path / "claims.png"], 1, 28)


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
    picture = Image.new("L", (8, 4), 0)
    picture.putpixel((0, 0), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    picture.save(tmp_path / "portrait.png", exif=exif)
    pixels = read_image(tmp_path / "portrait.png", 1)
    assert pixels.shape == (8, 4, 1)  # upright: taller than wide
    assert pixels[0, -1, 0] == 255  # the top-left pixel turned to the top right


def test_a_colour_folder_read_as_grey_warns_once(tmp_path, monkeypatch):
    monkeypatch.setenv("COLDDIFF_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 50, 100, 0)).save(folder / f"{i}.png")
    Image.new("L", (8, 8), 7).save(folder / "grey.png")
    with pytest.warns(ColourToGreyWarning) as caught:
        data.ImageFolder(folder, channels=1)
    assert [str(w.message) for w in caught] == [
        f"3 of the 4 images under {folder} are in colour and were made grey (channels=1)"]


def test_the_command_line_notes_colour_made_grey_in_one_line(tmp_path, capsys):
    from zoo.cli import main

    Image.new("RGB", (28, 28), (200, 20, 20)).save(tmp_path / "red.png")
    assert main(["restore", "mnist-blur", str(tmp_path / "red.png"), "--sampler", "direct",
                 "--out", str(tmp_path / "out.png"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.strip() == ("note: the model takes grey images; in colour, and made grey "
                           "(ITU-R 601 luma): red.png")


@pytest.mark.parametrize("bands", [1, 2, 3, 4])
def test_16_bit_pngs_written_read_back_exactly(tmp_path, bands):
    from restore.png import write_deep

    samples = np.random.default_rng(bands).integers(0, 65536, (7, 9, bands)).astype(np.uint16)
    write_deep(tmp_path / "w.png", samples)
    if bands == 1:                                  # PIL reads 16-bit grey whole: an oracle
        assert np.array_equal(np.asarray(Image.open(tmp_path / "w.png")), samples[..., 0])
    else:
        assert np.array_equal(read_deep(tmp_path / "w.png"), samples)
    with pytest.raises(ValueError, match="uint16"):
        write_deep(tmp_path / "x.png", samples.astype(np.int32))


@pytest.mark.parametrize("channels", [1, 3])
def test_saved_images_keep_16_bits(tmp_path, channels):
    """Issue 30, case 7: what ``--save-dir`` writes reads back within 3e-5, not 8 bits."""
    from zoo.images import save_images

    images = torch.rand(2, channels, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    save_images(images, tmp_path, ["a", "b"])
    back = read_images([tmp_path / "a.png", tmp_path / "b.png"], channels, 8)
    assert (back - images).abs().max() < 3.1e-5
    save_images(images, tmp_path, ["c", "d"], bits=8)
    assert Image.open(tmp_path / "c.png").mode in ("L", "RGB")

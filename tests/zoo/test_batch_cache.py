"""zoo.evaluate(cache=...): a stopped evaluation resumes to exactly the figures of one that
was not stopped, and a folder of another evaluation is refused."""

import pytest
import torch
from zoo.batch_cache import BatchCache, kept_on_interrupt
from zoo.images import save_images

import zoo


@pytest.fixture
def folder(tmp_path):
    """Twelve real digits as a folder of images, so that no data set is needed."""
    images = tmp_path / "images"
    save_images(zoo.sample_images("mnist", 12), images, [f"{i}.png" for i in range(12)])
    return images


def stopping(method, after):
    """``method`` that counts its calls and stops (Ctrl-C) at call ``after + 1``."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(kwargs.get("seed"))
        if len(calls) > after:
            raise KeyboardInterrupt
        return method(*args, **kwargs)

    wrapped.calls = calls
    return wrapped


def evaluate(model, folder, **kwargs):
    options = {"n": 8, "batch_size": 3, "rows": ["Direct"], "data_folder": folder}
    return zoo.evaluate(model, **{**options, **kwargs})


def test_a_stopped_generator_resumes_where_it_stopped_with_the_same_figures(tmp_path, folder):
    whole = evaluate(zoo.load("mnist-heat-gen"), folder)
    model = zoo.load("mnist-heat-gen")
    generate = model.generate
    model.generate = stopping(generate, after=2)
    with pytest.raises(KeyboardInterrupt):
        evaluate(model, folder, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 2
    model.generate = stopping(generate, after=10)
    resumed = evaluate(model, folder, cache=tmp_path / "cache")
    assert model.generate.calls == [6]          # only the third batch, from image 6, is made
    assert resumed.rows == whole.rows
    model.generate = stopping(generate, after=0)   # everything is kept now: nothing is made
    assert evaluate(model, folder, cache=tmp_path / "cache").rows == whole.rows


def test_a_stopped_restorer_draws_its_random_degradations_as_an_unstopped_one(tmp_path, folder):
    """mnist-inpaint's mask centres are random: the batches skipped must still draw theirs."""
    rows = ["Degraded", "Direct"]
    whole = evaluate(zoo.load("mnist-inpaint"), folder, rows=rows, seed=5)
    model = zoo.load("mnist-inpaint")
    restore = model.restore
    model.restore = stopping(restore, after=1)
    with pytest.raises(KeyboardInterrupt):
        evaluate(model, folder, rows=rows, seed=5, cache=tmp_path / "cache")
    model.restore = stopping(restore, after=10)
    resumed = evaluate(model, folder, rows=rows, seed=5, cache=tmp_path / "cache")
    assert len(model.restore.calls) == 2
    assert resumed.rows == whole.rows
    other_rows = evaluate(model, folder, rows=["Degraded"], seed=5, cache=tmp_path / "cache")
    assert other_rows.rows["Degraded"] == whole.rows["Degraded"]


def test_a_folder_of_another_evaluation_is_refused(tmp_path, folder):
    model = zoo.load("mnist-heat-gen")
    evaluate(model, folder, n=4, cache=tmp_path / "cache")
    with pytest.raises(ValueError, match=r"another evaluation .*differs in seed"):
        evaluate(model, folder, n=4, seed=1, cache=tmp_path / "cache")
    with pytest.raises(ValueError, match="differs in batch_size"):
        evaluate(model, folder, n=4, batch_size=2, cache=tmp_path / "cache")
    changed = zoo.load("mnist-heat-gen")
    with torch.no_grad():
        next(changed.R.parameters()).add_(1e-3)
    with pytest.raises(ValueError, match="differs in weights"):
        evaluate(changed, folder, n=4, cache=tmp_path / "cache")
    with pytest.raises(ValueError, match="differs in model"):
        evaluate(zoo.load("mnist-blur-gen"), folder, n=4, cache=tmp_path / "cache")
    restorer = zoo.load("mnist-blur")
    evaluate(restorer, folder, n=4, cache=tmp_path / "restorer")
    with pytest.raises(ValueError, match="differs in images"):
        evaluate(restorer, folder, n=4, start=1, cache=tmp_path / "restorer")


def test_a_cache_without_its_record_or_with_a_wrong_batch_is_refused(tmp_path):
    key = {"model": "m"}
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "x.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match=r"without cache\.json"):
        BatchCache(loose, key)
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        BatchCache(tmp_path / "file", key)
    cache = BatchCache(tmp_path / "c", key)
    cache.put("Row", 0, torch.zeros(3, 1, 2, 2))
    assert cache.get("row", 0, 3) is None     # another row's batch, though alike in name
    assert torch.equal(cache.get("Row", 0, 3), torch.zeros(3, 1, 2, 2))
    with pytest.raises(ValueError, match="holds 3 images where the batch has 2"):
        cache.get("Row", 0, 2)


def test_an_interrupted_command_says_where_its_batches_are(tmp_path, capsys):
    with pytest.raises(KeyboardInterrupt), kept_on_interrupt(tmp_path, "record"):
        raise KeyboardInterrupt
    assert f"record: the batches made so far are kept in {tmp_path}" in capsys.readouterr().err
    with pytest.raises(KeyboardInterrupt), kept_on_interrupt(None, "record"):
        raise KeyboardInterrupt
    assert capsys.readouterr().err == ""


def test_colddiff_evaluate_resumes_from_its_cache(tmp_path, folder, capsys):
    from zoo.cli import main

    command = ["evaluate", "mnist-heat-gen", "--n", "4", "--rows", "Direct", "--data-folder",
               str(folder), "--cache", str(tmp_path / "cache"), "--no-progress"]
    assert main(command) == 0
    first = capsys.readouterr().out
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 1
    assert main(command) == 0
    assert capsys.readouterr().out == first
    assert main([*command, "--seed", "3"]) == 2
    assert "differs in seed" in capsys.readouterr().err

"""Numbers, images, answers and model files: the rules of each signal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from grading.pipeline.rubric import load_rubric
from grading.private.similarity import compare, embedded
from grading.private.similarity import images as image_hashes
from grading.private.similarity.fingerprint import Artifact, Fingerprint, ImagePrint
from grading.private.similarity.settings import SettingsError, from_rubric, from_section
from grading.private.similarity.summary_data import (
    SummaryData,
    Value,
    from_result,
    normalize_answer,
    significant_digits,
    size_digits,
)

from . import class_builder as cb

SETTINGS = from_rubric(load_rubric("l03_pruning_clustering"))


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        (0.8364677, 7),
        (0.836, 3),
        (0.8, 1),
        (83.64677 / 100, 7),
        (14.93, 4),
        (0.0, 1),
        (1e-07, 1),
        (0.108333, 6),
    ],
)
def test_significant_digits_as_written(value, digits):
    assert significant_digits(value) == digits


@pytest.mark.parametrize(
    ("size", "digits"),
    [
        (8452 * 1024, 4),
        (8_452_000, 4),
        (round(16.48 * 1024**2), 4),
        (1_300_000, 2),
        (1_268_413, 7),
        (120904, 5),
    ],  # 120904 B could be written 118.07 KiB
)
def test_size_digits_undo_the_unit(size, digits):
    assert size_digits(size) == digits


def _fp(name: str, values=(), answers=None, images=(), artifacts=()) -> Fingerprint:
    fp = Fingerprint(name, summary=SummaryData(values=list(values)))
    fp.answers = dict(answers or {})
    fp.images = list(images)
    fp.artifacts = list(artifacts)
    return fp


def _value(kind: str, value: float, variant: str = "pruned-0.5-fp32") -> Value:
    return Value(variant, kind, value, significant_digits(value))


def test_identical_values_count_by_kind_weight_and_digits():
    shared = [
        _value("precision", 0.8412345),
        _value("g_mean", 0.7912346),
        _value("accuracy", 0.8364677),
        _value("accuracy", 0.84, "clustered-2-fp32"),
        _value("size_orig", 16_420_123),
    ]
    prints = [_fp("a", shared), _fp("b", shared), _fp("c", [_value("precision", 0.5)])]
    signals, _ = compare.number_signals(prints, SETTINGS, embedded.Defaults(), 4)
    signal = signals[(0, 1)]
    # precision 1 + g_mean 1 + one 7-digit accuracy 0.25; 0.84 has too few
    # digits, and the uncompressed size weighs nothing
    assert signal.score == pytest.approx(2.25 / SETTINGS.numbers_full)
    assert {d["kind"] for d in signal.details} == {"precision", "g_mean", "accuracy"}
    assert (0, 2) not in signals


def test_a_value_repeated_across_variants_is_a_constant_not_a_result():
    constant = [_value("size", 16_423_457, v) for v in cb.VARIANTS]
    measured = [_value("g_mean", 0.7012345), _value("g_mean", 0.7012345, "x")]
    prints = [_fp("a", constant + measured), _fp("b", constant + measured)]
    signals, _ = compare.number_signals(prints, SETTINGS, embedded.Defaults(), 4)
    assert [d["kind"] for d in signals[(0, 1)].details] == ["g_mean"]


def test_values_of_the_embedded_default_and_common_values_do_not_count():
    defaults = embedded.Defaults(values={"precision": [0.866905], "g_mean": [0.817073]})
    # written as a percentage with two decimals: still the default's value
    default_values = [_value("precision", 0.8669), _value("g_mean", 0.817073)]
    prints = [_fp("a", default_values), _fp("b", default_values)]
    signals, _ = compare.number_signals(prints, SETTINGS, defaults, 4)
    assert signals == {}
    common = [_value("precision", 0.7777777)]
    prints = [_fp(n, common) for n in "abcd"]
    signals, dropped = compare.number_signals(prints, SETTINGS, embedded.Defaults(), 4)
    assert signals == {} and dropped == 1


def _png(seed: int, size=(300, 280)) -> bytes:
    run = cb.pet_run(seed)
    return cb.draw_matrix(run.counts["pruned-0.5-fp32"], f"run {seed}")


def test_perceptual_hash_survives_re_encoding_but_not_another_run():
    original = _png(1)
    bits = image_hashes.phash_bits(original, SETTINGS.image_hash_size)
    for copy in (cb.resave(original, 0.9, "JPEG"), cb.resave(original, 0.6, "PNG")):
        other = image_hashes.phash_bits(copy, SETTINGS.image_hash_size)
        assert int((bits != other).sum()) <= SETTINGS.image_max_distance
    honest = image_hashes.phash_bits(_png(2), SETTINGS.image_hash_size)
    assert int((bits != honest).sum()) > 2 * SETTINGS.image_max_distance


def test_distances_equal_imagehash_differences():
    import imagehash

    blobs = [_png(s) for s in range(4)]
    bits = np.stack([image_hashes.phash_bits(b, 16) for b in blobs])
    hashes = [imagehash.ImageHash(b.reshape(16, 16)) for b in bits]
    matrix = image_hashes.distances(bits, bits)
    for i in range(4):
        for j in range(4):
            assert matrix[i, j] == hashes[i] - hashes[j]
    assert image_hashes.from_hex(image_hashes.to_hex(bits[0]), 16).tolist() == (
        bits[0].tolist()
    )
    # small images go to imagehash as they are
    small = Image.open(io.BytesIO(blobs[0])).convert("L").resize((60, 50))
    buffer = io.BytesIO()
    small.save(buffer, format="PNG")
    assert (
        image_hashes.phash_bits(buffer.getvalue(), 16).tolist()
        == np.asarray(imagehash.phash(small, 16).hash).ravel().tolist()
    )


def test_broken_and_oversized_images_are_skipped():
    assert image_hashes.phash_bits(b"not an image", 32) is None
    assert image_hashes.phash_bits(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, 32) is None
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, format="PNG")  # 81 Mpx, tiny file
    assert image_hashes.phash_bits(buffer.getvalue(), 32) is None


def test_images_of_the_default_and_of_most_of_the_class_are_not_evidence():
    blob = _png(5)
    bits = image_hashes.phash_bits(blob, SETTINGS.image_hash_size)
    image = ImagePrint("summaries/x.png", "id", bits)
    pair = [_fp("a", images=[image]), _fp("b", images=[image])]
    assert compare.image_signals(pair, SETTINGS, embedded.Defaults(), 4)[(0, 1)].score
    defaults = embedded.Defaults(images=bits[None, :])
    assert compare.image_signals(pair, SETTINGS, defaults, 4) == {}
    crowd = [_fp(n, images=[image]) for n in "abcd"]
    assert compare.image_signals(crowd, SETTINGS, embedded.Defaults(), 4) == {}


def test_answers_are_compared_after_normalising():
    text = cb.answers()["fay"]["q3"]
    styled = "**" + text.upper().replace(", ", " ,  ") + "**\n> quoted"
    assert normalize_answer(styled).startswith(normalize_answer(text))
    prints = [
        _fp("a", answers={"q3": normalize_answer(text)}),
        _fp("b", answers={"q3": normalize_answer(styled)}),
        _fp("c", answers={"q3": normalize_answer(cb.answers()["ada"]["q3"])}),
    ]
    prints[0].summary.answers = {"q3": text}
    prints[1].summary.answers = {"q3": styled}
    signals = compare.answer_signals(prints, SETTINGS, 4)
    assert set(signals) == {(0, 1)}
    assert signals[(0, 1)].details[0]["a"] == text


def test_identical_model_files_but_not_the_defaults():
    models = [Artifact("models/a.tflite", "blob1", 5000)]
    pair = [_fp("a", artifacts=models), _fp("b", artifacts=models), _fp("c")]
    assert compare.artifact_signals(pair, SETTINGS, embedded.Defaults(), 4)[
        (0, 1)
    ].score
    defaults = embedded.Defaults(artifacts={"blob1"})
    assert compare.artifact_signals(pair, SETTINGS, defaults, 4) == {}


def test_combined_score_and_threshold():
    strong = compare.Signal(1.0, "")
    half = compare.Signal(0.5, "")
    assert compare.combine({"code": strong}, SETTINGS) == 1.0
    assert compare.combine({"code": half, "numbers": half}, SETTINGS) == 0.75
    assert compare.combine({"answers": strong}, SETTINGS) == SETTINGS.weight("answers")


def test_reader_results_as_dicts_or_dataclasses_give_the_same_data():
    from dataclasses import make_dataclass

    as_dict = {
        "file": "summaries/x/summary.md",
        "metrics": {
            "pruned-0.5-fp32": {
                "accuracy": 0.8364677,
                "precision": None,
                "samples": 3669,
            }
        },
        "deflation": {"pruned-0.5-fp32": {"percent": 44.51, "size_bytes": 9_122_345}},
        "baseline": {"original_sizes": {"tflite-fp32": 16_420_000}},
        "questions": {
            "q1": {"found": True, "excerpt": "An answer."},
            "q2": {"found": False, "excerpt": ""},
        },
        "confusion_matrices": {"pruned-0.5-fp32": {"exists": True, "path": "a.png"}},
        "problems": [{"code": "x", "message": "a problem"}],
    }
    Row = make_dataclass(
        "Row", [("accuracy", float), ("precision", object), ("samples", int)]
    )
    Result = make_dataclass("Result", [(k, object) for k in as_dict])
    as_object = Result(
        **{**as_dict, "metrics": {"pruned-0.5-fp32": Row(0.8364677, None, 3669)}}
    )
    for result in (as_dict, as_object):
        data = from_result(result)
        kinds = sorted((v.kind, v.value) for v in data.values)
        assert kinds == [
            ("accuracy", 0.8364677),
            ("deflation", 44.51),
            ("size", 9_122_345.0),
            ("size_orig", 16_420_000.0),
        ]
        assert data.answers == {"q1": "An answer."} and data.images == ["a.png"]
        assert data.problems == ["a problem"]
    assert from_result(None).values == [] and from_result({"metrics": 7}).values == []


def test_bad_similarity_sections_name_the_key():
    with pytest.raises(SettingsError, match="unknown key 'treshold'"):
        from_section({"treshold": 0.5})
    with pytest.raises(SettingsError, match="weights"):
        from_section({"weights": {"vibes": 1}})
    with pytest.raises(SettingsError, match="code_floor"):
        from_section({"code_floor": 0.9, "code_full": 0.8})
    with pytest.raises(SettingsError, match="code: expected a list"):
        from_section({"code": "dl_in_iot_course/*.py"})
    assert from_section({}).threshold == 0.7


def test_stored_embedded_default_data_is_current():
    defaults, warnings = embedded.load("l03_pruning_clustering", SETTINGS)
    assert warnings == []
    for kind in ("accuracy", "precision", "g_mean", "sensitivity"):
        assert len(defaults.values[kind]) >= 8  # every variant, several runs
    assert defaults.images.shape == (len(defaults.images), SETTINGS.image_hash_size**2)
    assert len(defaults.images) >= 8


def test_embedded_default_is_read_with_the_summary_reader(tmp_path):
    run = cb.default_run()
    results = cb.write_default_results(tmp_path / "run", run)
    rubric = load_rubric("l03_pruning_clustering")
    data = embedded.build_from([results], rubric, SETTINGS)
    assert len(data["images"]) == len({v: 0 for v in cb.VARIANTS})
    precision = {run.metrics[v]["precision"] for v in cb.VARIANTS}
    assert precision <= set(data["values"]["precision"])
    assert data["image_hash"] == image_hashes.HASH_RECIPE

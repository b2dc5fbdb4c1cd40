"""Checks shared by the clustering and pruning hidden tests."""

from __future__ import annotations

from grader_plugin import Expected
from l03_fixtures import Built, Call, optimized_attrs

PREPARED = ("traindataset", "validdataset", "optimizer", "loss", "metrics", "epochs")


def first_call(built: Built, name: str, expected: str) -> Call:
    """Return the first recorded call of ``name`` or fail saying why not."""
    calls = built.of(name)
    if calls and calls[0].error:
        raise Expected(
            expected,
            f"{name} raised {calls[0].error}",
            code=(built.error or {}).get("code", ""),
            evidence=(built.error or {}).get("evidence", ""),
        )
    if calls and calls[0].result is None:
        model_class = calls[0].info.get("model_class", "")
        keras3 = model_class.startswith("keras.")
        raise Expected(
            expected,
            f"{name} returned None for a {model_class} model"
            + (" (a Keras 3 model, which TFMOT does not support)" if keras3 else ""),
            code="keras3" if keras3 else "returned_none",
        )
    if calls:
        return calls[0]
    built.raise_error(expected)
    raise Expected(expected, f"{name} was never called", code=f"no_{name}")


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - odd objects compare as different
        return False


def _describe(value) -> str:
    text = repr(value)
    if len(text) > 80 or " object at 0x" in text:
        return f"a {type(value).__name__}"
    return text


def check_fine_tuned(built: Built, wrapper: str, what: str) -> None:
    """Fail unless ``compile`` and ``fit`` used the objects optimize_model made."""
    expected = (
        f"{what} compiled with self.optimizer, self.loss, self.metrics and "
        "fitted on self.traindataset for self.epochs epochs with "
        "validation_data=self.validdataset"
    )
    attrs = optimized_attrs(built.obj)
    missing = [n for n in PREPARED if n not in attrs]
    if missing:
        built.raise_error(expected)
        raise Expected(
            expected,
            "optimize_model did not prepare self." + ", self.".join(missing),
            code="template_changed",
        )
    wrapped = {id(c.result) for c in built.of(wrapper) if c.result is not None}
    compiles = built.of("compile")
    fits = built.of("fit")
    if not compiles or not fits:
        built.raise_error(expected)
        never = "compile" if not compiles else "fit"
        raise Expected(expected, f"{never} was never called", code="no_fine_tuning")
    compile_call = next(
        (c for c in compiles if id(c.bound.get("self")) in wrapped), compiles[-1]
    )
    fit_call = next((c for c in fits if id(c.bound.get("self")) in wrapped), fits[-1])
    if wrapped and id(fit_call.bound.get("self")) not in wrapped:
        raise Expected(
            expected,
            f"fit was called on a model that is not the one {wrapper} returned",
            code="wrong_model_fitted",
        )
    checks = [
        ("optimizer", compile_call.bound.get("optimizer"), attrs["optimizer"]),
        ("loss", compile_call.bound.get("loss"), attrs["loss"]),
        ("metrics", compile_call.bound.get("metrics"), attrs["metrics"]),
    ]
    fit_x = fit_call.bound.get("x")
    checks += [
        ("x", fit_x, attrs["traindataset"]),
        (
            "validation_data",
            fit_call.bound.get("validation_data"),
            attrs["validdataset"],
        ),
        ("epochs", fit_call.bound.get("epochs", 1), attrs["epochs"]),
    ]
    wrong = [
        f"{name}={_describe(seen)} instead of self."
        + {"x": "traindataset", "validation_data": "validdataset"}.get(name, name)
        for name, seen, want in checks
        if not _same(seen, want)
    ]
    if wrong:
        raise Expected(expected, "; ".join(wrong), code="fine_tuning_args")
    if fit_call.error:
        raise Expected(expected, f"fit raised {fit_call.error}", code="fit_failed")


def check_strip_call(built: Built, strip: str, wrapper: str) -> None:
    """Fail unless ``strip`` was called on the fine-tuned model after ``fit``."""
    expected = (
        f"tfmot {strip}(model) on the fine-tuned model before converting it to TFLite"
    )
    calls = built.of(strip)
    if not calls:
        built.raise_error(expected)
        raise Expected(expected, f"{strip} was never called", code="unstripped")
    fits = built.of("fit")
    order = {id(c): i for i, c in enumerate(built.calls)}
    if fits and order[id(calls[-1])] < order[id(fits[-1])]:
        raise Expected(expected, f"{strip} was called before fit", code="unstripped")
    wrapped = {id(c.result) for c in built.of(wrapper) if c.result is not None}
    fitted = {id(c.bound.get("self")) for c in fits}
    given = [c.bound.get("to_strip", c.args[0] if c.args else None) for c in calls]
    if (wrapped or fitted) and not any(id(g) in wrapped | fitted for g in given):
        raise Expected(
            expected,
            f"{strip} got a model that was neither "
            f"{wrapper}'s result nor the fitted model",
            code="unstripped",
        )

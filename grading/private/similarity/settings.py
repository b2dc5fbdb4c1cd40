"""The ``[similarity]`` section of a rubric, with the defaults it overrides.

Every threshold and weight of the similarity step is rubric data; this
module only types it. A signal's score is in [0, 1] (1 means conclusive on
its own); a pair's score combines them as ``1 - prod(1 - weight * signal)``
and the pair is flagged when that reaches ``threshold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from grading.pipeline.rubric import Rubric

SIGNALS = ("code", "numbers", "images", "answers", "artifacts")


class SettingsError(ValueError):
    """The ``[similarity]`` section is malformed; the message names the key."""


@dataclass(frozen=True)
class NumberKind:
    """How much one identical value of a kind counts.

    Parameters
    ----------
    weight : float
        Contribution of one identical value to the numbers signal's sum.
    min_digits : int
        Fewest significant digits a value needs to count at all.
    """

    weight: float = 1.0
    min_digits: int = 4


@dataclass(frozen=True)
class Settings:
    """Typed ``[similarity]`` data; see ``grading/labs/<lab>.toml``."""

    code: tuple[str, ...] = ("dl_in_iot_course/**/*.py",)
    code_exclude: tuple[str, ...] = ()
    reference: str = ""
    k: int = 25
    window: int = 4
    min_own: float = 0.5
    min_fingerprints: int = 40
    code_floor: float = 0.5
    code_full: float = 0.8
    max_code_bytes: int = 300_000
    max_spans: int = 5
    max_span_lines: int = 14
    common_share: float = 0.1
    common_min: int = 4
    numbers_full: float = 3.0
    default_margin: float = 0.03
    number_kinds: dict[str, NumberKind] = field(default_factory=dict)
    image_globs: tuple[str, ...] = ("summaries/**",)
    image_hash_size: int = 32
    image_max_distance: int = 16
    images_full: float = 2.0
    max_images: int = 24
    max_image_bytes: int = 8_000_000
    answer_min_words: int = 25
    answer_ratio: float = 80.0
    answers_full: float = 2.0
    artifact_exts: tuple[str, ...] = (".tflite", ".h5", ".keras", ".onnx", ".pth")
    artifact_min_bytes: int = 1024
    artifacts_full: float = 1.0
    weights: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.7
    reference_threshold: float = 0.7

    def weight(self, signal: str) -> float:
        """Return the weight of ``signal`` (1 when the rubric gives none)."""
        return float(self.weights.get(signal, 1.0))

    def kind(self, name: str) -> NumberKind:
        """Return the rule of the number kind ``name`` (defaults when absent)."""
        return self.number_kinds.get(name, NumberKind())

    def common_count(self, submissions: int) -> int:
        """Return in how many submissions a fingerprint is common to the class."""
        return max(self.common_min, math.ceil(self.common_share * submissions))

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON data (recorded in similarity.json)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "number_kinds":
                value = {
                    k: {"weight": v.weight, "min_digits": v.min_digits}
                    for k, v in value.items()
                }
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        return data


_SCALARS = {f.name: f.type for f in fields(Settings)}


def from_section(section: dict[str, Any], where: str = "[similarity]") -> Settings:
    """Build :class:`Settings` from a rubric's ``[similarity]`` table.

    Raises
    ------
    SettingsError
        When a key is unknown or a value has the wrong type.
    """
    values: dict[str, Any] = {}
    for key, raw in section.items():
        if key == "number_kinds":
            if not isinstance(raw, dict):
                raise SettingsError(f"{where}: number_kinds must be a table")
            kinds = {}
            for name, rule in raw.items():
                if not isinstance(rule, dict):
                    raise SettingsError(f"{where}: number_kinds.{name} must be a table")
                try:
                    kinds[name] = NumberKind(
                        weight=float(rule.get("weight", 1.0)),
                        min_digits=int(rule.get("min_digits", 4)),
                    )
                except (TypeError, ValueError) as exc:
                    raise SettingsError(f"{where}: number_kinds.{name}: {exc}") from exc
            values[key] = kinds
        elif key == "weights":
            if not isinstance(raw, dict) or any(k not in SIGNALS for k in raw):
                raise SettingsError(
                    f"{where}: weights must be a table of {', '.join(SIGNALS)}"
                )
            values[key] = {k: float(v) for k, v in raw.items()}
        elif key in _SCALARS:
            default = getattr(Settings, key, None)
            try:
                if isinstance(default, tuple) or key in ("code", "code_exclude"):
                    if isinstance(raw, str) or not isinstance(raw, list):
                        raise TypeError("expected a list of strings")
                    values[key] = tuple(str(v) for v in raw)
                elif isinstance(default, bool):
                    values[key] = bool(raw)
                elif isinstance(default, int):
                    values[key] = int(raw)
                elif isinstance(default, float):
                    values[key] = float(raw)
                else:
                    values[key] = str(raw)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{where}: {key}: {exc}") from exc
        else:
            raise SettingsError(f"{where}: unknown key {key!r}")
    settings = Settings(**values)
    if settings.k < 5 or settings.window < 1:
        raise SettingsError(f"{where}: k must be at least 5 and window at least 1")
    if not 0 < settings.code_floor < settings.code_full <= 1:
        raise SettingsError(f"{where}: need 0 < code_floor < code_full <= 1")
    return settings


def from_rubric(rubric: Rubric) -> Settings:
    """Return the similarity settings of ``rubric`` (defaults without a section)."""
    return from_section(rubric.section("similarity"), f"{rubric.lab}: [similarity]")

"""Write rubric-shaped data back as TOML (the standard library only reads it)."""

from __future__ import annotations

import json
from typing import Any


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) for v in value)
    )


def dumps_toml(data: dict[str, Any], header: str = "") -> str:
    """Write a rubric-shaped dict as TOML (scalars, lists, tables, arrays of tables).

    Parameters
    ----------
    data : dict
        Parsed TOML, e.g. from :func:`grading.private.packaging.public_rubric`.
    header : str
        Comment lines put first.

    Returns
    -------
    str
        TOML text that :mod:`tomllib` reads back to ``data``.
    """
    lines = [header.rstrip("\n")] if header else []

    def emit(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            if not isinstance(value, dict) and not _is_table_array(value):
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in table.items():
            name = f"{prefix}{_toml_key(key)}"
            if isinstance(value, dict):
                lines.extend(["", f"[{name}]"])
                emit(value, name + ".")
            elif _is_table_array(value):
                for entry in value:
                    lines.extend(["", f"[[{name}]]"])
                    emit(entry, name + ".")

    emit(data, "")
    return "\n".join(lines) + "\n"

"""The first code that runs in the sandboxed pytest child (``python -c``).

:func:`grading.sandbox.launch.pytest_argv` passes this module's source to
``python -s -S -B -P -c``, followed by a JSON configuration and pytest's own
arguments. Run that way, no ``site`` module ran, so no ``.pth`` file,
``sitecustomize`` or ``usercustomize`` had a chance; what is on ``sys.path``
is the grader's ``PYTHONPATH`` and the standard library. This module then

1. puts the grader's site-packages on ``sys.path`` and imports pytest, pluggy
   and the plugins named in the configuration, before any folder of the
   student's is on the path (so the working copy cannot shadow them);
2. adds the working copy at the end of ``sys.path`` (nothing installed can be
   shadowed by it) and a finder that imports the student's own top-level
   packages (``packages`` of the configuration) from it alone;
3. removes the pytest variables of the environment and starts pytest, with
   the tamper-evidence plugin when the configuration holds a nonce.

The module imports nothing at its top but :mod:`sys`: everything else is
imported once ``sys.path`` is the one described above.
"""

import sys

#: First word of the tamper-evidence line printed on stderr.
INTEGRITY_PREFIX = "GRADER-INTEGRITY"


def _watched(plugins: list[str]) -> dict:
    """The callables of pytest, pluggy, numpy and the plugins, by dotted name."""
    import types

    found = {}
    prefixes = ("_pytest.", "pluggy.")
    names = [
        n
        for n in list(sys.modules)
        if n in ("pytest", "pluggy", "numpy") or n.startswith(prefixes) or n in plugins
    ]
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, types.ModuleType) or not callable(value):
                continue
            found[name + "." + attr] = value
            if isinstance(value, type) and value.__module__ == name:
                for key, member in list(vars(value).items()):
                    if callable(member) or isinstance(
                        member, classmethod | staticmethod | property
                    ):
                        found[name + "." + attr + "." + key] = member
    return found


def _integrity_plugin(nonce: str, plugins: list[str], results: str):
    """A plugin that reports which watched callables the session replaced.

    What pytest, pluggy, numpy and the grader's plugins are made of when the
    session starts (before any student import) is compared when it ends, and
    the hash of the ``results`` file is taken; the report goes to stderr
    after the nonce.
    """
    import hashlib
    import json

    import pytest

    class Integrity:
        def pytest_sessionstart(self, session):
            self.before = _watched(plugins)

        @pytest.hookimpl(tryfirst=True)
        def pytest_unconfigure(self, config):
            before = getattr(self, "before", {})
            after = _watched(plugins)
            changed = sorted(k for k, v in before.items() if after.get(k) is not v)
            digest = ""
            try:
                with open(results, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                pass
            line = json.dumps({"changed": changed[:50], "results_sha256": digest})
            sys.stderr.write(f"\n{INTEGRITY_PREFIX} {nonce} {line}\n")
            sys.stderr.flush()

    return Integrity()


def _student_finder(names: list[str], paths: list[str]):
    """A finder that looks up the student's top-level packages in ``paths``."""
    import importlib.abc
    import importlib.machinery

    class StudentPackages(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname not in names:
                return None  # submodules follow their package's __path__
            return importlib.machinery.PathFinder.find_spec(fullname, paths)

    return StudentPackages()


def main() -> None:
    """Set up ``sys.path`` as described above and run pytest."""
    import json

    cfg = json.loads(sys.argv[1])
    stdlib = [p for p in sys.path if p and p not in ("", ".")]
    sys.path[:] = stdlib + cfg["site"]
    import _pytest.config  # noqa: F401 - imported before the student's path
    import _pytest.main  # noqa: F401
    import iniconfig  # noqa: F401
    import pluggy  # noqa: F401
    import pytest

    for name in cfg["plugins"]:
        __import__(name)
    # The working copy comes last: a folder of the submission named like an
    # installed package (tensorflow_model_optimization/, numpy/) never
    # shadows it. The student's own packages come from the working copy
    # only, even where a copy of the course is installed.
    sys.path.extend(cfg["path"])
    sys.meta_path.insert(0, _student_finder(cfg.get("packages", []), cfg["path"]))
    import os

    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DEBUG"):
        os.environ.pop(name, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.argv = ["pytest"] + sys.argv[2:]
    extra = []
    if cfg.get("integrity"):
        plugin = _integrity_plugin(
            cfg["integrity"], cfg["plugins"], cfg.get("results", "")
        )
        extra.append(plugin)
    raise SystemExit(pytest.main(sys.argv[1:], plugins=extra))


if __name__ == "__main__":
    main()

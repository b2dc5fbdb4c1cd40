"""Fingerprints of Python source: hashes of normalised syntax trees.

A fingerprint tells whether two functions are the same code, whatever their
formatting, comments, quotes or docstrings: the course's 2024 refactor
reformatted every file without changing a single tree, and a student who
re-indents a template method has not changed it. Fingerprints are facts
about a file (like a git blob id) and hold none of its text, so the versions
of the original course are recorded as fingerprints only.

The tree is serialised by :func:`canonical` rather than :func:`ast.dump`,
whose output changes between Python versions (3.13 leaves out empty fields):
fields that are ``None`` or empty lists are skipped, positions are dropped,
and every docstring (module, class, function) is removed. Nothing here runs
or imports the code it reads.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from dataclasses import dataclass, field

#: Length of a fingerprint in hex digits (80 bits).
FINGERPRINT_HEX = 20
_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__class__"}
_DEFS = ast.FunctionDef | ast.AsyncFunctionDef
#: Name under which the ``if __name__ == "__main__":`` block is fingerprinted.
MAIN_BLOCK = "<main>"


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _body(node: ast.AST) -> list[ast.AST] | None:
    """The statements of a module, class or function without its docstring."""
    body = getattr(node, "body", None)
    if not isinstance(body, list):
        return None
    if isinstance(node, ast.Module | ast.ClassDef | _DEFS) and body:
        if _is_docstring(body[0]):
            body = body[1:] or [ast.Pass()]
    return body


def canonical(node: ast.AST | list | object) -> str:
    """Serialise a syntax tree the same way on every Python version.

    Parameters
    ----------
    node : ast.AST, list or constant
        What to serialise.

    Returns
    -------
    str
        A text that two trees share exactly when they are the same code
        (docstrings, positions and formatting aside).
    """
    if isinstance(node, list):
        return "[" + ",".join(canonical(x) for x in node) + "]"
    if not isinstance(node, ast.AST):
        return f"{type(node).__name__}:{node!r}"
    parts = []
    for name in node._fields:
        value = _body(node) if name == "body" else getattr(node, name, None)
        if value is None or (isinstance(value, list) and not value):
            continue
        if isinstance(node, ast.Constant) and name == "kind":
            continue
        parts.append(f"{name}={canonical(value)}")
    return f"{type(node).__name__}(" + ",".join(parts) + ")"


def fingerprint(node: ast.AST) -> str:
    """Return the fingerprint of a tree (hex digits of a SHA-256)."""
    digest = hashlib.sha256(canonical(node).encode("utf-8")).hexdigest()
    return digest[:FINGERPRINT_HEX]


#: What parsing or walking untrusted source may raise (nesting too deep for
#: the parser or for the recursion of :func:`canonical`).
UNREADABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def fingerprint_source(source: str) -> str | None:
    """Fingerprint of a whole module's source; None when it cannot be read."""
    try:
        return fingerprint(ast.parse(source))
    except UNREADABLE:
        return None


def _main_guard(node: ast.AST) -> bool:
    """True for ``if __name__ == "__main__":``."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    names = [test.left, *test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)


def definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """Return ``qualified name -> function node`` of a module.

    Module-level functions and the methods of module-level classes (nested
    classes too); functions inside ``if __name__ == "__main__":`` or other
    blocks are not importable and are left out.
    """
    found: dict[str, ast.AST] = {}

    def walk(body: list[ast.AST], prefix: str) -> None:
        for child in body:
            if isinstance(child, _DEFS):
                found[prefix + child.name] = child
            elif isinstance(child, ast.ClassDef):
                walk(child.body, f"{prefix}{child.name}.")

    walk(tree.body, "")
    return found


def _bind(node: ast.AST, names: set[str]) -> None:
    """Add the names one top-level statement binds (compound ones recursively)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        names.update(
            (a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"
        )
    elif isinstance(node, _DEFS | ast.ClassDef):
        names.add(node.name)
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            names.update(
                sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name)
            )
    elif not _main_guard(node):
        for name in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, name, None) or []:
                _bind(child, names)


def bound_names(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level (imports, defs, assignments).

    Statements inside ``if``/``try``/``with`` blocks count (a guarded
    import binds its name); the ``__main__`` block does not.
    """
    names: set[str] = set()
    for child in tree.body:
        _bind(child, names)
    return names


def free_names(node: ast.AST) -> set[str]:
    """Global names a function needs from its module.

    Every name the function (its annotations, defaults and body) reads that
    it does not bind itself (parameters, assignments, imports, nested
    definitions) and that is not a builtin. A name bound anywhere in the
    function counts as local, which is how Python scopes work.
    """
    read: set[str] = set()
    bound: set[str] = set()
    args = getattr(node, "args", None)
    if args is not None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        bound.update(a.arg for a in every)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (read if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg) and sub is not node:
            bound.add(sub.arg)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            bound.update(
                (a.asname or a.name).split(".")[0] for a in sub.names if a.name != "*"
            )
        elif isinstance(sub, _DEFS | ast.ClassDef) and sub is not node:
            bound.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    return read - bound - _BUILTINS


@dataclass(frozen=True)
class FunctionFacts:
    """What is recorded of one function: its fingerprint and the names it needs."""

    fingerprint: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleFacts:
    """Fingerprints of a module and of its functions, and its top-level names.

    Parameters
    ----------
    module : str
        Fingerprint of the whole module.
    functions : dict
        ``qualified name -> FunctionFacts``; the ``__main__`` block, when
        there is one, as :data:`MAIN_BLOCK`.
    names : tuple of str
        Names bound at the module's top level (sorted).
    """

    module: str
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    names: tuple[str, ...] = ()


def module_facts(source: str) -> ModuleFacts | None:
    """Return the facts of a module's source, or None when it cannot be read."""
    try:
        tree = ast.parse(source)
        found = dict(definitions(tree))
        guard = next((node for node in tree.body if _main_guard(node)), None)
        if guard is not None:
            found[MAIN_BLOCK] = guard
        functions = {
            name: FunctionFacts(fingerprint(node), tuple(sorted(free_names(node))))
            for name, node in found.items()
        }
        names = tuple(sorted(bound_names(tree)))
        return ModuleFacts(fingerprint(tree), functions, names)
    except UNREADABLE:
        return None

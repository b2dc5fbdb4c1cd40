"""In-process evidence counts only with out-of-process proof.

The hidden tests run in the student's process: the spies that record how
``cluster_weights`` or ``fit`` were called, and the file the recorder
writes, can be forged by code that knows them. The grader's own checks of the
written models (:mod:`grading.hidden.artifacts`) run outside that process on
a copy made after the run. So a variant earns anything only when the
grader's proof checks of that variant pass (``[proof]`` of the lab's
``artifacts.toml``: for lab 03 the clustered kernels hold at most k values,
the pruned kernels are at the sparsity, the outputs match the grader's own
run, and the model is made from the original). A submission that calls every
watched function on an untouched model earns nothing for that variant.

A model can prove less than the full proof and still prove something: a
pruned model made from the original whose kernels hold many zeros, though
not at the target, shows that pruning ran during fine-tuning with the
callback; outputs that are the class ids of the grader's own run show that
the runner loads and runs the model. ``[[proof.partial]]`` of the spec says,
per kind, which facts (artifact checks of the variant) must all pass and
which checks of the item then count for that variant (never the ones the
model contradicts, such as the target or the outputs themselves). An
untouched model or a copy of it shows none of these facts.

:func:`apply_proof` lowers the credit of every decided ``hidden.*`` and
``artifact.*`` finding of an item to the variants that are proven, and says
which variants did not count and why. It never raises a credit.

A lab part with one run and no variants names its proof per check instead
(``[proof_checks]``: ``finding check id = [artifact check ids]``, lab 03's
structured pruning): a decided student finding of such a check keeps its
credit only when every artifact check named for it passed.
"""

from __future__ import annotations

from typing import Any

from grading.pipeline.findings import Finding

#: What a student reads under a check that did not count for some variants.
UNPROVEN_HINT = (
    "What the tests saw your code do counts only when the model it wrote "
    "shows it: fix the model check of that variant (see the other findings "
    "of this item) and this check counts again."
)
#: Proof checks the student does not see by name (suspicion, not feedback).
_QUIET = {"derived": "the model could not be traced back to the model the tests gave"}


def _variants_by_item(spec: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for model in spec.get("model", []):
        found.setdefault(str(model["item"]), []).append(
            (str(model["variant"]), str(model["kind"]))
        )
    return found


def _passed_variants(finding: Finding) -> set[str] | None:
    """Variants a decided artifact finding passed; None if it decided nothing."""
    if finding.passed is None:
        return None
    variants = set(finding.data.get("variants") or [])
    return variants - set(finding.data.get("failed") or [])


def _check_name(check: str) -> str:
    return check.rsplit(".", 1)[-1]


def partly_proven(
    findings: list[Finding], spec: dict[str, Any]
) -> dict[str, dict[str, set[str]]]:
    """For each item, the checks that count for each variant by partial proof.

    Returns
    -------
    dict
        ``{item: {variant: {check names}}}`` from ``[[proof.partial]]``: a
        variant gets a rule's ``counts`` when every one of its ``facts``
        passed for that variant.
    """
    rules = (spec.get("proof") or {}).get("partial") or []
    by_check = {f.check: f for f in findings if f.check.startswith("artifact.")}
    result: dict[str, dict[str, set[str]]] = {}
    for item, models in _variants_by_item(spec).items():
        for variant, kind in models:
            allowed: set[str] = set()
            for rule in rules:
                if rule.get("kind") != kind or not rule.get("facts"):
                    continue
                found = [by_check.get(f"artifact.{item}.{n}") for n in rule["facts"]]
                passed = [_passed_variants(f) if f else None for f in found]
                if all(p is not None and variant in p for p in passed):
                    allowed |= {str(n) for n in rule.get("counts", [])}
            result.setdefault(item, {})[variant] = allowed
    return result


def proven_variants(
    findings: list[Finding], spec: dict[str, Any]
) -> dict[str, dict[str, list[str]]]:
    """For each item, each variant's failed (or missing) proof checks.

    Returns
    -------
    dict
        ``{item: {variant: [names of proof checks that did not pass]}}``; an
        empty list means the variant is proven.
    """
    proof = spec.get("proof") or {}
    by_check = {f.check: f for f in findings if f.check.startswith("artifact.")}
    result: dict[str, dict[str, list[str]]] = {}
    for item, models in _variants_by_item(spec).items():
        for variant, kind in models:
            missing = []
            for name in proof.get(kind, []):
                finding = by_check.get(f"artifact.{item}.{name}")
                passed = _passed_variants(finding) if finding else None
                if passed is None or variant not in passed:
                    missing.append(name)
            # A variant with several models (lab 02's FP32: the file and
            # the saved outputs) needs the proof of each.
            result.setdefault(item, {}).setdefault(variant, []).extend(missing)
    return result


def _why(missing: list[str]) -> str:
    named = [n.replace("_", " ") for n in missing if n not in _QUIET]
    quiet = [_QUIET[n] for n in missing if n in _QUIET]
    parts = []
    if named:
        parts.append(
            "the grader's own check of the written model did not pass: "
            + ", ".join(named)
        )
    return "; ".join(parts + quiet)


def apply_proof(findings: list[Finding], spec: dict[str, Any]) -> list[Finding]:
    """Keep only the credit of proven variants (see the module text).

    Findings of items without models in ``spec``, findings that decided
    nothing (a timeout, a manual review) and instructor-only findings are
    left as they are.
    """
    _apply_check_proof(findings, spec.get("proof_checks") or {})
    if not spec.get("proof"):
        return findings
    proven = proven_variants(findings, spec)
    partly = partly_proven(findings, spec)
    for finding in findings:
        variants = proven.get(finding.item)
        if (
            not variants
            or finding.passed is None
            or finding.audience != "student"
            or not finding.check.startswith(("hidden.", "artifact."))
        ):
            continue
        runs = list(finding.data.get("variants") or []) or list(variants)
        failed = set(finding.data.get("failed") or [])
        if finding.passed is False and not finding.data.get("variants"):
            failed = set(runs)
        name = _check_name(finding.check)
        allowed = partly.get(finding.item, {})
        unproven = [
            v
            for v in runs
            if v not in failed and variants.get(v) and name not in allowed.get(v, set())
        ]
        if not unproven:
            continue
        credited = [v for v in runs if v not in failed and v not in unproven]
        finding.score = len(credited) / len(runs) if runs else 0.0
        if finding.passed:
            finding.code = "unproven"
        finding.passed = False
        reasons = "; ".join(f"{v}: {_why(variants[v])}" for v in unproven)
        finding.message = (
            f"{finding.message.rstrip('.')}. Not counted for "
            f"{', '.join(unproven)}, because {reasons}."
        )
        finding.data = {**finding.data, "unproven": unproven}
        if not finding.hint:
            finding.hint = UNPROVEN_HINT
    return findings


def _apply_check_proof(findings: list[Finding], proof: dict[str, list[str]]) -> None:
    """Take the credit of checks whose ``[proof_checks]`` did not all pass."""
    if not proof:
        return
    passed = {f.check: f.passed for f in findings if f.check.startswith("artifact.")}
    for finding in findings:
        needs = proof.get(finding.check)
        if (
            not needs
            or finding.passed is None
            or finding.audience != "student"
            or not finding.earned
        ):
            continue
        missing = [n for n in needs if passed.get(n) is not True]
        if not missing:
            continue
        named = ", ".join(n.split(".", 1)[-1].replace("_", " ") for n in missing)
        finding.score, finding.passed = 0.0, False
        finding.code = "unproven"
        finding.message = (
            f"{finding.message.rstrip('.')}. Not counted, because the grader's "
            f"own check of the written models did not pass: {named}."
        )
        finding.data = {**finding.data, "unproven": missing}
        if not finding.hint:
            finding.hint = UNPROVEN_HINT

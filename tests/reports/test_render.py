"""Per-submission reports: content, audiences, escaping, size limit, images."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from grading.report import render_reports, render_submission
from grading.report.render import MARKDOWN_LIMIT, render_markdown
from grading.report.scrub import scrub_student_text
from grading.report.views import submission_view

from .conftest import FIXTURE_NAMES, load_fixture, write_png

STUDENT_FILES = ("report.html", "report.md")

# Everything in fixtures/instructor_only.json that only an instructor may see:
# hidden test names and node ids, assertion texts, reference code, raw logs,
# plausibility warnings, protected-file diffs, check ids and rubric weights.
SECRETS = (
    "test_kernel_unique_values_at_most_k",
    "test_cluster_weights_called_with_linear_init",
    "test_clustered.py",
    "hidden_tests",
    "assert n_unique <= k",
    "spy.kwargs['cluster_centroids_init']",
    "cluster_centroids_init=CentroidInitialization.LINEAR",
    "KMEANS_PLUS_PLUS",
    "REFERENCE_SECRET_TOKEN_42",
    "deflation 48 %",
    "return np.mean(tp / (tp + fn))",
    "protected_modified",
    "hidden.clustered_model.unique_values",
    "too_many_values",
    '"weight": 3',
)


def _md_html(markdown: str) -> str:
    """Render Markdown the way GitHub would see raw HTML in it (html enabled)."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_renders_three_files(name, tmp_path):
    written = render_submission(load_fixture(name), tmp_path)
    assert sorted(p.name for p in written.values()) == [
        "report-instructor.html",
        "report.html",
        "report.md",
    ]
    for path in written.values():
        assert path.stat().st_size > 500
    # Readable like any other file (mkstemp alone would make them 0600).
    assert written["html"].stat().st_mode & 0o044 == 0o044
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in written.values()
    )


def test_full_marks_shows_total_and_every_item():
    results = load_fixture("full_marks")
    out = render_reports(results)
    html = out["report.html"]
    assert '<div class="score">18<small> / 18</small></div>' in html
    for item in results["items"]:
        assert item["title"] in html
    assert "What to fix first" not in html
    assert "Decided by mk" in html  # points from a person are marked
    assert "Scored by automatic checks" in html
    assert out["report.md"].startswith("## Score: 18 / 18 points (100 %)")


def test_zero_puts_failures_with_hints_first():
    out = render_reports(load_fixture("zero"))
    md = out["report.md"]
    assert md.startswith("## Score: 0 / 18 points (0 %)")
    fix = md.index("### What to fix first")
    assert fix < md.index("### Score by item")
    assert "still raises NotImplementedError" in md
    assert "**What to do:** Implement prepare\\_model" in md
    html = out["report.html"]
    assert html.count('class="badge st-fail"') >= 8
    assert "What to do:" in html and "Not yet" in html


def test_markdown_order_score_failed_manual_passed():
    md = render_reports(load_fixture("manual_open"))["report.md"]
    positions = [
        md.index("## Score: 11.25 / 18"),
        md.index("### What to fix first"),
        md.index("### Waiting for a person"),
        md.index("### Passed"),
    ]
    assert positions == sorted(positions)


def test_manual_items_show_passages_and_embedded_image(submission):
    results = load_fixture("manual_open")
    results["submission"] = str(submission)
    out = render_reports(results)
    html = out["report.html"]
    assert "Awaiting review" in html and "Up to 6 more points after review." in html
    assert "5 awaiting review" in html  # the 0-point item is not counted
    assert (
        '<blockquote class="passage">Deflation is the share of bytes ZIP removes'
        in html
    )
    assert 'src="data:image/png;base64,iVBOR' in html
    assert "clustered-2-fp32</figcaption>" in html
    # The missing image is noted for the instructor only.
    assert "img/missing.png" not in html
    assert "img/missing.png" in out["report-instructor.html"]
    assert "checks suggest 1 / 1" in out["report-instructor.html"]
    assert "checks suggest" not in html


def test_error_results_show_a_banner():
    out = render_reports(load_fixture("error"))
    assert 'class="banner banner-error" role="alert"' in out["report.html"]
    assert "the student process exited with status 0" in out["report.html"]
    assert "[!WARNING]" in out["report.md"]
    assert "Could not check" in out["report.html"]


def test_overrides_name_the_reviewer_and_comment():
    out = render_reports(load_fixture("overrides_applied"))
    html = out["report.html"]
    assert "Decided by jk" in html
    assert (
        "Comment from jk</strong>Tests pass, but the model is clustered twice" in html
    )
    assert "16.5<small> / 18</small>" in html
    assert "checks suggest 4 / 4" in out["report-instructor.html"]
    assert "Decided by jk" in out["report.md"]


def test_student_view_hides_everything_instructor_only():
    out = render_reports(load_fixture("instructor_only"))
    for name in STUDENT_FILES:
        for secret in SECRETS:
            assert secret not in out[name], f"{secret!r} leaked into {name}"
    # The fixture really holds them: the instructor view shows most of them.
    instructor = out["report-instructor.html"]
    shown = [
        s
        for s in SECRETS
        if s.replace("'", "&#39;").replace('"', "&#34;") in instructor
    ]
    assert len(shown) >= len(SECRETS) - 2
    # The student still gets the useful part of the failing finding.
    assert "A kernel holds 17 unique values" in out["report.html"]
    assert "number_of_clusters=16" in out["report.html"]  # the student's own code
    assert "[grader-internal line hidden]" in out["report.html"]


def test_hostile_summary_excerpt_renders_inert():
    out = render_reports(load_fixture("instructor_only"))
    for name in ("report.html", "report-instructor.html"):
        html = out[name]
        assert "<script" not in html.lower()
        assert "onerror=" not in html.replace("onerror=alert", "")  # only as text
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html
        assert 'href="javascript:' not in html
        assert "default-src &#39;none&#39;" not in html  # CSP is real markup
        assert "content=\"default-src 'none'; style-src 'unsafe-inline'" in html
    rendered = _md_html(out["report.md"])
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert 'href="javascript:' not in rendered
    # The fence survived the backticks inside the excerpt.
    assert "break the fence" in rendered


def test_markdown_escapes_markup_in_messages():
    results = load_fixture("zero")
    results["items"][0]["findings"][0]["message"] = (
        "# Heading <b>bold</b> [x](http://evil) | cell\n- list"
    )
    md = render_reports(results)["report.md"]
    html = _md_html(md)
    assert "<b>bold</b>" not in html
    assert "<h1>Heading" not in html
    assert 'href="http://evil"' not in html
    assert "# Heading &lt;b&gt;bold&lt;/b&gt;" in html


def test_markdown_stays_under_the_github_limit():
    results = load_fixture("zero")
    finding = results["items"][1]["findings"][0]
    finding["evidence"] = ("x" * 99 + "\n") * 100  # 10 kB, cut to 4 kB in md
    results["items"][1]["findings"] = [
        dict(finding, message=f"Problem {n}") for n in range(400)
    ]
    view = submission_view(results, "student")
    md = render_markdown(view)
    assert len(md.encode("utf-8")) <= MARKDOWN_LIMIT
    assert md.startswith("## Score: 0 / 18")
    assert "shortened to fit GitHub's size limit" in md
    assert "What to do:" in md  # hints survive the shortening


def test_markdown_hard_cut_closes_fences_and_says_so():
    results = load_fixture("zero")
    for item in results["items"]:
        item["title"] = "T" * 2000
    md = render_markdown(submission_view(results, "student"), limit=6000)
    assert len(md.encode("utf-8")) <= 6000
    assert md.rstrip().endswith("from the run's artifacts for everything.**")
    assert len(re.findall(r"^\s*`{3,}", md, flags=re.MULTILINE)) % 2 == 0


def test_broken_results_do_not_crash(tmp_path):
    odd = {
        "items": [
            "not a dict",
            {"id": "x", "status": "weird", "findings": ["plain", 5, None]},
            {"id": "y", "points": "NaN", "max_points": None, "findings": "no"},
        ],
        "timings": {"a": "slow"},
        "unassigned": "nope",
        "checks": [],
    }
    for results in ({}, odd, {"status": "timeout"}):
        written = render_submission(results, tmp_path)
        assert "Score report" in written["html"].read_text(encoding="utf-8")


def test_images_only_from_inside_the_submission(tmp_path):
    sub = tmp_path / "sub"
    write_png(sub / "img" / "ok.png")
    outside = write_png(tmp_path / "secret.png")
    (sub / "img" / "fake.png").write_text("not an image")
    (sub / "img" / "link.png").symlink_to(outside)
    results = load_fixture("zero")
    results["submission"] = str(sub)
    results["items"][0]["findings"][0]["data"] = {
        "images": [
            "img/ok.png",
            "../secret.png",
            str(outside),
            "img/fake.png",
            "img/link.png",
            "https://example.org/x.png",
        ],
    }
    out = render_reports(results)
    html = out["report.html"]
    assert html.count("data:image/png;base64,") == 1
    instructor = out["report-instructor.html"]
    assert instructor.count("data:image/png;base64,") == 1
    assert instructor.count("Image not embedded:") == 5
    assert "is not a PNG, JPEG, GIF or WebP image" in instructor


def test_readme_links_only_for_web_urls():
    results = load_fixture("zero")
    good = render_reports(results, links_base="https://github.com/o/r/blob/abc")
    assert (
        'href="https://github.com/o/r/blob/abc/dl_in_iot_course/l03_pruning_clustering'
        "/README.md#task-1-tfmotoptimizedmodel" in good["report.html"]
    )
    bad = render_reports(results, links_base="javascript:alert(1)//")
    assert "javascript:" not in bad["report.html"]
    assert "Reread the task: l03_pruning_clustering/README.md" in bad["report.html"]


def test_timings_are_shown():
    html = render_reports(load_fixture("full_marks"))["report.html"]
    assert "How long each part took" in html
    assert "hidden tests" in html and "31 s" in html and "Total: 33 s" in html


def test_scrub_student_text():
    text = (
        "Traceback:\n"
        '  File "/x/grading/hidden/suites/l03/test_a.py", line 3, in test_a\n'
        "    assert secret == 1\n"
        '  File "student.py", line 9, in f\n'
        "    x = 1\n"
        "FAILED tests/test_b.py::test_b[2] - boom"
    )
    clean = scrub_student_text(text)
    assert "secret" not in clean and "test_a" not in clean and "test_b" not in clean
    assert 'File "student.py", line 9' in clean and "x = 1" in clean
    assert "FAILED [hidden test] - boom" in clean


def test_identical_findings_are_shown_once():
    results = load_fixture("zero")
    item = results["items"][1]
    same = dict(item["findings"][0])
    item["findings"] = [
        dict(same, check=f"hidden.clustered_model.c{n}") for n in range(3)
    ] + [
        dict(
            same,
            check="artifact.clustered_model.loads",
            code="not_run",
            message="This check did not run, so it earns nothing.",
            evidence="",
        )
    ]
    out = render_reports(results)
    html = out["report.html"]
    assert html.count("ClusteredModel.compress_and_fine_tune still raises") == 1
    assert "3 checks report the same." in html
    # The finding that says why comes before the one that did not run.
    assert html.index("ClusteredModel.compress_and_fine_tune") < html.index(
        "This check did not run"
    )
    assert "hidden.clustered_model.c2" in out["report-instructor.html"]


def test_new_fields_in_check_details_are_shown_not_read(results):
    """Readers may add fields to checks.<name>.details: the instructor view
    shows them raw, and nothing else depends on their shape."""
    data = results("full_marks")
    data["checks"] = {
        "summary": {"seconds": "n/a", "details": {"new_field": [1, {"x": None}]}},
        "history": {"details": "just a string"},
        "hidden_tests": None,
        "odd": {"seconds": 1.5, "details": {"nested": {"deep": ["<b>"] * 3}}},
    }
    student = render_reports(data)
    assert "new_field" not in student["report.html"]
    instructor = student["report-instructor.html"]
    assert "new_field" in instructor and "just a string" in instructor
    assert "&lt;b&gt;" in instructor and '<b>"' not in instructor


def _two_parts() -> dict:
    """The full-marks results split into two rubric parts (the last item is part 2)."""
    results = load_fixture("full_marks")
    items = results["items"]
    for item in items[:-1]:
        item["part"] = "main"
    items[-1]["part"] = "structured"
    items[-1]["title"] = "Structured pruning item"
    main = sum(i["points"] for i in items[:-1])
    results["parts"] = [
        {"id": "main", "title": "Part 1: TFMOT", "points": main, "max_points": main},
        {
            "id": "structured",
            "title": "Part 2: NNI",
            "points": items[-1]["points"],
            "max_points": items[-1]["max_points"],
        },
    ]
    return results


def test_items_are_grouped_by_part_in_both_reports():
    results = _two_parts()
    out = render_reports(results)
    first, last = results["items"][0]["title"], "Structured pruning item"
    for name in STUDENT_FILES:
        body = out[name]
        table = body[body.index("Score by item") :]
        one, two = table.index("Part 1: TFMOT"), table.index("Part 2: NNI")
        assert one < table.index(first) < two < table.index(last), name
    assert '<tr class="part-row"><th colspan="2">Part 2: NNI</th>' in out["report.html"]
    assert "| **Part 2: NNI** |" in out["report.md"]


def test_one_part_has_no_part_rows():
    out = render_reports(load_fixture("full_marks"))
    assert "part-row" not in out["report.html"].split("</style>")[-1]
    assert "| **" not in out["report.md"]

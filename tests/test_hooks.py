"""The template's hooks: invalid answers stop generation and leave nothing behind."""

import pytest

from polster.template import template_hook

from conftest import PYTHON, REPO_ROOT, run

pre_gen = template_hook("pre_gen_project")
slug_problem = pre_gen.slug_problem


@pytest.mark.parametrize("slug", ["sales_analytics", "orders2", "a", "x" * 64])
def test_valid_slugs(slug):
    assert slug_problem(slug) is None


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("Sales", "lowercase"),
        ("sales-analytics", "lowercase"),
        ("sales\n", "lowercase"),
        ("2sales", "starting with a letter"),
        ("_private", "starting with a letter"),
        ("sales analytics", "lowercase"),
        ("", "lowercase"),
        ("x" * 65, "longer than 64"),
        ("class", "keyword"),
        ("json", "standard library"),
        ("os", "standard library"),
        ("dagster", "shadow a package"),
        ("pandas", "shadow a package"),
        ("core", "shadow a package"),
        ("orchestration", "shadow a package"),
    ],
)
def test_invalid_slugs_are_explained(slug, reason):
    problem = slug_problem(slug)
    assert problem is not None and reason in problem
    assert "\n" not in problem


def test_storage_backend_is_checked():
    # Cookiecutter itself rejects an unknown choice given on its command line; the hook
    # covers answers that reach it by other routes (a replay file, an API call).
    assert pre_gen.storage_problem("local") is None
    assert "choose one of local, adls" in pre_gen.storage_problem("s3")


@pytest.mark.parametrize(
    "answers",
    [
        ["project_name=Bad", "project_slug=dagster"],
        ["project_name=Bad", "project_slug=Bad-Name"],
        ["project_name=Class", "project_slug=class"],
    ],
)
def test_plain_cookiecutter_refuses_bad_answers_and_leaves_nothing(tmp_path, answers):
    output = tmp_path / "out"
    output.mkdir()
    result = run(
        [PYTHON, "-m", "cookiecutter", str(REPO_ROOT), "--no-input", "-o", str(output), *answers],
        cwd=tmp_path,
        env={"HOME": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "error: invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(output.iterdir()) == []

"""``polster init`` works from a built wheel, not only from this checkout."""

import zipfile

from conftest import PYTHON, REPO_ROOT, run, tree_snapshot


def test_wheel_bundles_the_template_and_init_uses_it(tmp_path):
    built = run(
        [
            PYTHON,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO_ROOT),
        ],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("polster-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "polster/_template/cookiecutter.json" in names
    assert "polster/_template/hooks/pre_gen_project.py" in names
    assert "polster/_template/{{cookiecutter.project_slug}}/run_polster.py" in names
    assert "polster/_template/asset_template/hooks/pre_gen_project.py" in names
    assert not any(name.startswith(("tests/", "polster/_template/tests/")) for name in names)

    # PYTHONPATH puts the unpacked wheel ahead of the editable install of this checkout.
    env = {"PYTHONPATH": str(site), "HOME": str(tmp_path)}
    where = run(
        [PYTHON, "-c", "import polster.template as t; print(t.project_template_dir())"],
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.strip() == str(site / "polster" / "_template")
    created = run(
        [PYTHON, "-m", "polster", "init", "from_wheel", "--no-input"], cwd=tmp_path, env=env
    )
    assert created.returncode == 0, created.stderr
    from_checkout = run(
        [
            PYTHON,
            "-m",
            "polster",
            "init",
            "from_wheel",
            "--no-input",
            "--output-dir",
            str(tmp_path / "site"),
        ],
        cwd=tmp_path,
    )
    assert from_checkout.returncode == 0, from_checkout.stderr
    assert tree_snapshot(tmp_path / "from_wheel") == tree_snapshot(site / "from_wheel")
    added = run(
        [
            PYTHON,
            "-m",
            "polster",
            "add-asset",
            "--layer",
            "bronze",
            "--name",
            "customers",
            "--project-dir",
            str(tmp_path / "from_wheel"),
        ],
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "from_wheel" / "src/core/bronze_customers.py").is_file()

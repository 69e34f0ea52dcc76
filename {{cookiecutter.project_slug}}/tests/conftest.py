"""Every test writes its tables to a temporary folder, never to the project's data/."""

import pytest


@pytest.fixture(autouse=True)
def local_storage(tmp_path, monkeypatch):
    """Point local storage at a fresh folder; environment variables override .env."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir

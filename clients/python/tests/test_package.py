"""What ``pip install phonebox-client`` would get: the wheel flit_core builds, its
metadata, its pytest entry point, and a package that imports from it alone."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import phonebox_client

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(into: Path) -> Path:
    # The build backend's own hook, as pip calls it (pyproject.toml's build-system).
    out = subprocess.run(
        [sys.executable, "-c", f"import flit_core.buildapi as b; print(b.build_wheel({str(into)!r}))"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()[-1]
    return into / out


def test_the_wheel_carries_the_package_its_types_marker_and_the_pytest_entry_point(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    assert wheel.name == f"phonebox_client-{phonebox_client.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"phonebox_client-{phonebox_client.__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    for module in ("__init__.py", "_client.py", "_errors.py", "_phone.py", "_types.py", "pytest_plugin.py", "py.typed"):
        assert f"phonebox_client/{module}" in names
    assert not any(n.startswith(("tests/", "examples/")) for n in names)
    assert "Name: phonebox-client" in metadata
    assert "Version: 0.1.0" in metadata
    assert "Requires-Python: >=3.10" in metadata
    assert "Requires-Dist" not in metadata, "no runtime dependencies"
    assert "[pytest11]\nphonebox=phonebox_client.pytest_plugin" in entry_points.replace(" ", "")


def test_the_installed_wheel_imports_without_pytest_and_without_this_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--target", str(target), str(wheel)],
        check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules['pytest'] = None; "
        "import phonebox_client as p; print(p.__file__); print(p.fresh_phone())"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(target)], check=True, capture_output=True, text=True)
    where, phone = out.stdout.split()
    assert where.startswith(str(target))
    assert phone.startswith("+1555")

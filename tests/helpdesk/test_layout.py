"""Every local app falls under the import-linter layers contract of pyproject.toml, so a new app
cannot escape the layering by being left off a list."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def layers_contract() -> dict:
    contracts = CONFIG["tool"]["importlinter"]["contracts"]
    (contract,) = [contract for contract in contracts if contract["type"] == "layers"]
    return contract


def layered_packages() -> list[str]:
    return [name.strip() for layer in layers_contract()["layers"] for name in layer.split("|")]


def local_apps() -> set[str]:
    """Top-level packages holding a Django app: a directory with apps.py, installed or not."""
    found = {path.parent.name for path in ROOT.glob("*/apps.py")}
    installed = {
        config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT
    }
    return found | installed


def test_every_local_app_is_in_the_layers_contract():
    missing = local_apps() - set(layered_packages())

    assert not missing, f"add {sorted(missing)} to a layer of [tool.importlinter] in pyproject.toml"


def test_the_project_is_the_top_layer_and_the_core_the_bottom():
    layers = layers_contract()["layers"]

    assert (layers[0], layers[-1]) == ("helpdesk", "tickets")


def test_siblings_in_a_layer_are_independent():
    assert all(":" not in layer for layer in layers_contract()["layers"])


def test_every_layered_package_is_analysed_and_sorted_as_our_own():
    layered = set(layered_packages())
    known = set(CONFIG["tool"]["ruff"]["lint"]["isort"]["known-first-party"])

    assert layered <= set(CONFIG["tool"]["importlinter"]["root_packages"])
    assert layered <= known
    assert all((ROOT / name / "__init__.py").exists() for name in layered)

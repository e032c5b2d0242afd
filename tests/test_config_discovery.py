"""Where cockpit finds its config and keeps its state."""

from __future__ import annotations

import shutil

import pytest

from cockpit.config import load_config
from cockpit.configsource import EXAMPLE_CONFIG, find_config
from cockpit.project import PACKAGE_DIR, load_project, resolve_state_dir


@pytest.fixture
def places(lab, tmp_path, monkeypatch):
    """A config in the cwd, one in the user config dir, one named by the environment, one by option."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    made = {}
    for name in ("cwd", "user", "env", "option"):
        folder = tmp_path / name
        if name == "user":
            folder = home / "config" / "cockpit"
        folder.mkdir(parents=True)
        shutil.copy(lab.config, folder / "cockpit.toml")
        shutil.copytree(lab.phases, folder / "phases")
        made[name] = folder / "cockpit.toml"
    monkeypatch.chdir(made["cwd"].parent)
    monkeypatch.setenv("COCKPIT_CONFIG", str(made["env"]))
    return made


def test_the_search_order_is_option_environment_cwd_user_then_the_example(places, monkeypatch):
    assert find_config(str(places["option"])).path == places["option"]
    assert find_config(None).origin == "environment"
    monkeypatch.delenv("COCKPIT_CONFIG")
    assert find_config(None).path == places["cwd"]
    places["cwd"].unlink()
    source = find_config(None)
    assert (source.origin, source.path) == ("user", places["user"])
    places["user"].unlink()
    assert find_config(None) == type(source)(EXAMPLE_CONFIG, "example")


def test_state_lives_beside_the_config_unless_told_otherwise(places, monkeypatch, tmp_path):
    monkeypatch.delenv("COCKPIT_CONFIG")
    config = load_config(find_config(None))
    assert resolve_state_dir(None, config) == places["cwd"].parent / "state"
    monkeypatch.setenv("COCKPIT_STATE", str(tmp_path / "from-env"))
    assert resolve_state_dir(None, config) == tmp_path / "from-env"
    assert resolve_state_dir(str(tmp_path / "from-option"), config) == tmp_path / "from-option"
    monkeypatch.delenv("COCKPIT_STATE")
    places["cwd"].write_text('state_dir = "elsewhere"\n' + places["cwd"].read_text())
    assert resolve_state_dir(None, load_config(find_config(None))) == places["cwd"].parent / "elsewhere"


def test_a_config_in_the_user_config_dir_keeps_its_state_in_the_user_data_dir(places, monkeypatch, tmp_path):
    monkeypatch.delenv("COCKPIT_CONFIG")
    places["cwd"].unlink()
    project = load_project()
    assert project.state_dir == tmp_path / "home" / "data" / "cockpit"


def test_without_any_config_the_example_is_used_and_never_contacted(places, monkeypatch, capsys):
    from cockpit.cli import main

    monkeypatch.delenv("COCKPIT_CONFIG")
    places["cwd"].unlink()
    places["user"].unlink()
    project = load_project()
    assert project.config.inventory.example
    assert project.state_dir == PACKAGE_DIR.parent / "state"  # running from the checkout
    assert main(["status"]) == 0
    assert "no cockpit.toml found: showing the embedded example inventory" in capsys.readouterr().out


def test_a_config_named_by_the_environment_that_does_not_exist_is_bad_input(places, monkeypatch, capsys):
    from cockpit.cli import main

    monkeypatch.setenv("COCKPIT_CONFIG", "/nonexistent/cockpit.toml")
    assert main(["status"]) == 2
    assert "config file named by $COCKPIT_CONFIG does not exist" in capsys.readouterr().err

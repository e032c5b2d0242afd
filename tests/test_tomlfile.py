"""The line finder behind every 'file:line: field:' message."""

from __future__ import annotations

import tomllib

from cockpit.tomlfile import Locator

SOURCE = '''a = 1 # comment
runbook = 'the """ marker'
"quoted.key" = 2
x.y = 3
tasks = [
  { id = "a", principle = "p" },
  { id = "b", principle = "q" },
]
argv = ["ssh", """
[[tasks]]
""", "x"]
[[exit]]
id = "e"
[exit.check]
allow = [
  {from = 20, to = 30},
  {from = 20, to = "x", ports = [1,
     2]},
]
[[exit]]
id = "f"
'''


def test_every_key_and_array_element_has_its_line():
    tomllib.loads(SOURCE)
    lines = Locator.scan(SOURCE).lines
    assert lines[("runbook",)] == 2
    assert lines[("quoted.key",)] == 3
    assert lines[("x", "y")] == 4
    assert lines[("tasks", 1, "principle")] == 7
    assert lines[("argv", 2)] == 11, "a multi-line string holding a header line is skipped whole"
    assert lines[("exit", 0, "check", "allow", 1, "to")] == 17
    assert lines[("exit", 0, "check", "allow", 1, "ports", 1)] == 18
    assert lines[("exit", 1, "id")] == 21


def test_an_unknown_path_falls_back_to_its_nearest_written_parent():
    locator = Locator.scan(SOURCE)
    assert locator.line_for(("exit", 0, "check", "allow", 1, "nope")) == 17
    assert locator.line_for(("nothing",)) is None

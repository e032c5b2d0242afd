"""The TUI's words: secrets never reach the screen, marks are ASCII, plans read like the CLI's."""

from __future__ import annotations

from cockpit.models.phases import Criterion
from cockpit.results import CheckResult
from cockpit.secrets import MASK, REDACTOR
from cockpit.tui.screens.phase_detail import criterion_detail
from cockpit.tui.text import bar, safe, when


def test_a_secret_in_a_backend_answer_is_masked_on_screen() -> None:
    REDACTOR.add("hunter2-token-value")
    criterion = Criterion.model_validate(
        {
            "id": "ups-online",
            "title": "UPS online",
            "principle": "ups-protection",
            "check": {"type": "nut.ups_status", "ups": "apc1500"},
        }
    )
    result = CheckResult(
        phase=0,
        criterion="ups-online",
        kind="exit",
        type="nut.ups_status",
        result="error",
        observed={"login": "cockpit:hunter2-token-value"},
        detail="upsd refused PASSWORD hunter2-token-value",
    )
    shown = criterion_detail(criterion, result).plain
    assert "hunter2" not in shown and MASK in shown
    assert "hunter2" not in safe("Bearer hunter2-token-value").plain


def test_text_from_a_backend_is_never_read_as_markup() -> None:
    assert safe("[bold]not bold[/bold]").plain == "[bold]not bold[/bold]"


def test_bars_and_times_are_plain_ascii() -> None:
    assert bar(3, 6, 6) == "[###---] 3/6"
    assert bar(0, 0, 4) == "[----] 0/0"
    assert when("2026-11-27T02:00:13.123456Z") == "2026-11-27 02:00:13"
    assert when(None) == "never"

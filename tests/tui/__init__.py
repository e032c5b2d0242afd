"""The TUI, driven by keys through Textual's Pilot against the lab."""

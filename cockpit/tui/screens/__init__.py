"""Provides the screens: Phases, Phase, Services, Audit, Help and the dialogs."""

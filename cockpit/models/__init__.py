"""Provides the typed models of cockpit's input files: phases, checks and the inventory."""

"""cockpit: walks a homelab operator through the v3 rebuild, phase by phase."""

__version__ = "0.1.0"

"""Provides the embedded homelab: real servers on loopback that speak the upstream protocols.

Nothing in cockpit's core knows whether it talks to this lab or to a real homelab.
"""

"""Provides criterion evaluation; the runner and its evaluators live in `cockpit.checks.runner`.

This package's own module stays empty on purpose: the gates import `checks.context` and
`checks.local` on every start, and must not pull in httpx, dnspython and proxmoxer with them
(the TUI's first frame waits for every import). The runner loads the adapters when a check runs.
"""

"""Provides the cutover commands: plan, cutover, rollback, verify, finalize, resolve, reconcile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cockpit.cli.output import emit_json, out
from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine, settle_interrupted
from cockpit.cutover.plan import ServicePlan
from cockpit.errors import InputError, RefusedError
from cockpit.project import Project

GOOD = {
    "cutover": ("cut_over",),
    "rollback": ("rolled_back", "planned", "ready"),
    "verify": ("cut_over", "ready", "planned", "rolled_back", "finalized"),
    "finalize": ("finalized",),
    "resolve": ("cut_over", "rolled_back"),
}


def _open(project: Project, args: argparse.Namespace, write: bool) -> Cockpit:
    if write and args.read_only:
        raise RefusedError("--read-only was given; this command changes the DNS servers and the store")
    cockpit = Cockpit.open(project, write=write)
    if write:
        settle_interrupted(cockpit)
    return cockpit


def _targets(engine: Engine, args: argparse.Namespace) -> list[Any]:
    if getattr(args, "all", False) and args.services:
        raise InputError("name services or give --all, not both")
    if not getattr(args, "all", False) and not args.services:
        raise InputError("name at least one service (or --all)")
    return engine.services(args.services, getattr(args, "all", False))


def render_plan(plans: list[ServicePlan]) -> None:
    for plan in plans:
        out(
            f"{plan.service}: {plan.state}, v2 {plan.v2} -> v3 {plan.v3} (v3 {'healthy' if plan.v3_healthy else 'NOT healthy'})"
        )
        for server, names in plan.live.items():
            for name, now in names.items():
                after = plan.after[server][name]
                out(f"  {server:<10} {name:<28} now: {_entries(now)}")
                out(f"  {'':<10} {'':<28} after: {_entries(after)}")
        for blocker in plan.blockers:
            out(f"  BLOCKED: {blocker}")


def _entries(entries: list[dict[str, Any]]) -> str:
    parts = []
    for e in entries:
        if e["kind"] == "host":
            parts.append(f"'{e['item']}'")
        else:
            parts.append(f"{e['domain']} -> {e['answer']} ({e['kind']})")
    return ", ".join(parts) or "nothing"


def render_results(results: list[dict[str, Any]]) -> None:
    for result in results:
        out(f"{result['service']}: {result['state'].upper()} ({result['reason']})")
        verified = result.get("verified") or {}
        for server, by_name in (verified.get("answers") or {}).items():
            for name, answer in by_name.items():
                out(f"  {server:<10} {name:<28} answers {answer}")


def _finish(args: argparse.Namespace, results: list[dict[str, Any]], command: str) -> int:
    if args.json:
        emit_json({"services": results})
    else:
        render_results(results)
    if command == "verify":
        return 0 if all(r["ok"] for r in results) else 1
    if command == "rollback":
        return 0 if all(r.get("ok", True) and r["state"] in GOOD[command] for r in results) else 1
    return 0 if all(r["state"] in GOOD[command] for r in results) else 1


def cmd_plan(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=False) as cockpit:
        engine = Engine(cockpit)
        plans = engine.plan(_targets(engine, args))
    if args.json:
        emit_json({"services": [p.as_dict() for p in plans], "can_apply": not any(p.blockers for p in plans)})
    else:
        render_plan(plans)
    return 1 if any(p.blockers for p in plans) else 0


def _confirm(args: argparse.Namespace) -> Callable[[list[ServicePlan]], bool] | None:
    if args.yes:
        return None
    if not sys.stdin.isatty():
        raise RefusedError("no terminal to confirm on: show the plan with `cockpit plan`, then cutover --yes")

    def ask(plans: list[ServicePlan]) -> bool:
        render_plan(plans)
        sys.stdout.write("Apply this cutover on every DNS server? [y/N] ")
        sys.stdout.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def cmd_cutover(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=True) as cockpit:
        engine = Engine(cockpit)
        results = engine.cutover(_targets(engine, args), force=args.force, confirm=_confirm(args))
    return _finish(args, results, "cutover")


def cmd_rollback(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=True) as cockpit:
        engine = Engine(cockpit)
        results = engine.rollback(_targets(engine, args))
    return _finish(args, results, "rollback")


def cmd_verify(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=True) as cockpit:
        engine = Engine(cockpit)
        results = [engine.verify_now(s) for s in _targets(engine, args)]
    return _finish(args, results, "verify")


def cmd_finalize(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=True) as cockpit:
        engine = Engine(cockpit)
        results = [engine.finalize(s) for s in _targets(engine, args)]
    return _finish(args, results, "finalize")


def cmd_resolve(project: Project, args: argparse.Namespace) -> int:
    if args.adopt_live == args.restore:
        raise InputError("say how to resolve: --adopt-live or --restore")
    with _open(project, args, write=True) as cockpit:
        engine = Engine(cockpit)
        mode = "adopt" if args.adopt_live else "restore"
        results = [engine.resolve(s, mode, args.reason) for s in _targets(engine, args)]
    return _finish(args, results, "resolve")


def cmd_reconcile(project: Project, args: argparse.Namespace) -> int:
    if args.read_only:
        raise RefusedError("--read-only was given; reconciling may change the DNS servers and the store")
    with Cockpit.open(
        project, write=True
    ) as cockpit:  # not _open: its automatic settle would do the work unseen
        engine = Engine(cockpit)
        settled = engine.reconcile()
        attention = [s.name for s in engine.services([], True) if engine.state(s) == "needs_attention"]
    if args.json:
        emit_json({"settled": settled, "needs_attention": attention})
    else:
        out(
            f"reconciled {len(settled)} interrupted change(s)"
            + (f"; needs attention: {', '.join(attention)}" if attention else "")
        )
    return 1 if attention else 0


COMMANDS = {
    "plan": cmd_plan,
    "cutover": cmd_cutover,
    "rollback": cmd_rollback,
    "verify": cmd_verify,
    "finalize": cmd_finalize,
    "resolve": cmd_resolve,
    "reconcile": cmd_reconcile,
}

"""`iopdesk settings`: read and set the clinic's program rules from the command line.

    iopdesk settings show                                   every rule, its value and the default
    iopdesk settings set display.time_format 24h --as ADMIN
    iopdesk settings reset display.time_format --as ADMIN   back to the shipped default

Setting needs an administrator (`--as`, password from $IOPDESK_ADMIN_PASSWORD or asked); the
clinic's settings service checks the value against the rule and audits the change.
"""

from __future__ import annotations

import argparse
import json

from iopdesk.cli.common import ask_password
from iopdesk.errors import ValidationError


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    settings = sub.add_parser("settings", help="show or set the clinic's program rules (time format, …)",
                              description="The clinic's program rules: shipped defaults an administrator "
                                          "may change for this clinic, e.g. display.time_format (12h or 24h).")
    actions = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    actions.add_parser("show", parents=[common], help="every rule with this clinic's value and the default")
    set_rule = actions.add_parser("set", parents=[common], help="set a rule for this clinic (administrators)")
    set_rule.add_argument("rule", metavar="RULE", help="section.name, e.g. display.time_format")
    set_rule.add_argument("value", metavar="VALUE", help="e.g. 24h, 7, true, or a comma-separated list")
    set_rule.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")
    reset = actions.add_parser("reset", parents=[common], help="put a rule back to the shipped default")
    reset.add_argument("rule", metavar="RULE")
    reset.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")


def _shown(value) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else json.dumps(value).strip('"')


def _line(rule) -> str:
    allowed = f"; one of {', '.join(rule.choices)}" if rule.choices else ""
    where = "set for this clinic" if rule.changed else "default"
    return f"{rule.key} = {_shown(rule.value)}  ({where}; default {_shown(rule.default)}{allowed})"


def run(args, open_clinic) -> int:
    """Run `iopdesk settings …`; `open_clinic(args)` opens the clinic."""
    with open_clinic(args) as clinic:
        if args.settings_command == "show":
            for rule in clinic.settings.rules():
                print(_line(rule))
            return 0
        if not args.as_user:
            raise ValidationError("Settings: give --as ADMIN (an administrator's user name).", field="as")
        clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {args.as_user}: ",
                                                confirm=False))
        if args.settings_command == "set":
            rule, changes = clinic.settings.set_rule(args.rule, args.value)
        else:
            rule, changes = clinic.settings.reset_rule(args.rule)
        print(_line(rule) if changes else f"{_line(rule)}: unchanged")
    return 0

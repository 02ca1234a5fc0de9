"""Commands: show, topics, providers and stats (issue #5)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []

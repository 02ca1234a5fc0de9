"""Shell completion scripts and replies that keep values with spaces whole.

click's own bash reply inserts a value such as ``Facebook AI`` unquoted, so the
command then sees two words; its fish script cuts a value at its first comma.
These classes replace click's for bash and fish (zsh quotes by itself):

- bash: a value typed without an opening quote comes back with every shell
  metacharacter backslash-escaped (``Facebook\\ AI``); after an opening quote
  it comes back as it is, and bash closes the quote. The script reads each
  reply with ``read -r`` and adds it quoted, so nothing is globbed or unescaped.
- fish: the reply is split at its first comma only.

Values holding a line break cannot travel in the line-based reply and are left out.
"""

from __future__ import annotations

import os
import re
from typing import Any

import click
from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ShellComplete,
    ZshComplete,
    _resolve_context,
    add_completion_class,
)

_BASH_SOURCE = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response

    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
%(complete_var)s=bash_complete $1)

    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""

_FISH_SOURCE = """\
function %(complete_func)s;
    set -l response (env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) \
COMP_CWORD=(commandline -t) %(prog_name)s);

    for completion in $response;
        set -l metadata (string split -m 1 "," -- $completion);

        if test $metadata[1] = "dir";
            __fish_complete_directories $metadata[2];
        else if test $metadata[1] = "file";
            __fish_complete_path $metadata[2];
        else if test $metadata[1] = "plain";
            echo $metadata[2];
        end;
    end;
end;

complete --no-files --command %(prog_name)s --arguments "(%(complete_func)s)";
"""

#: Characters bash reads as themselves in an unquoted word.
_BASH_PLAIN = re.compile(r"[^A-Za-z0-9_@%+=:,./-]")


def bash_escape(value: str) -> str:
    """A value as one unquoted bash word: every other character backslash-escaped."""
    return _BASH_PLAIN.sub(lambda m: "\\" + m.group(), value)


class _ValuesFirst(ShellComplete):
    """An option that takes a value completes that value, even one starting with ``-``.

    click offers option names for any word starting with ``-``, so ``--sort -qu``
    and ``--sort=-qu`` would never complete to ``-quality``.
    """

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem[Any]]:
        if args and args[-1] == "=":  # bash splits ``--sort=-qu`` at the '='
            args = args[:-1]
        prefix = ""
        if incomplete.startswith("--") and "=" in incomplete:
            name, _, value = incomplete.partition("=")
            if self._value_option([*args, name]) is not None:
                args, prefix, incomplete = [*args, name], name + "=", value
        items: list[CompletionItem[Any]] | None = None
        if incomplete.startswith("-"):
            found = self._value_option(args)
            if found is not None:
                ctx, option = found
                items = option.shell_complete(ctx, incomplete)
        if items is None:
            items = super().get_completions(args, incomplete)
        items = [_with_prefix(item, prefix) for item in items] if prefix else items
        return _one_line(items)

    def _value_option(self, args: list[str]) -> tuple[click.Context, click.Option] | None:
        """The option that the last word names, when it waits for a value."""
        if not args or not args[-1].startswith("-"):
            return None
        try:
            ctx = _resolve_context(self.cli, self.ctx_args, self.prog_name, args[:-1])
        except Exception:
            return None
        for param in ctx.command.params:
            if isinstance(param, click.Option) and args[-1] in param.opts and not param.is_flag:
                return ctx, param
        return None


def _with_prefix(item: CompletionItem[Any], prefix: str) -> CompletionItem[Any]:
    return CompletionItem(prefix + str(item.value), type=item.type, help=item.help)


class NewscatBashComplete(_ValuesFirst, BashComplete):
    """bash: replies escaped for the word being completed."""

    source_template = _BASH_SOURCE

    def get_completion_args(self) -> tuple[list[str], str]:
        # The script joins COMP_WORDS with newlines (its IFS): the words as typed.
        words = os.environ.get("COMP_WORDS", "").split("\n")
        cword = int(os.environ.get("COMP_CWORD", "0"))
        self.raw_word = words[cword] if cword < len(words) else ""
        return super().get_completion_args()

    def format_completion(self, item: CompletionItem[Any]) -> str:
        value = str(item.value)
        if item.type == "plain" and not getattr(self, "raw_word", "").startswith(("'", '"')):
            value = bash_escape(value)
        return f"{item.type},{value}"


class NewscatZshComplete(_ValuesFirst, ZshComplete):
    """zsh: click's script, which quotes values itself."""


class NewscatFishComplete(_ValuesFirst, FishComplete):
    """fish: the reply split at its first comma only."""

    source_template = _FISH_SOURCE


def _one_line(items: list[CompletionItem[Any]]) -> list[CompletionItem[Any]]:
    return [item for item in items if "\n" not in str(item.value) and "\r" not in str(item.value)]


def install() -> None:
    """Use these classes for ``_NEWSCAT_COMPLETE=bash_source`` and friends."""
    add_completion_class(NewscatBashComplete, "bash")
    add_completion_class(NewscatZshComplete, "zsh")
    add_completion_class(NewscatFishComplete, "fish")

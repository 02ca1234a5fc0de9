"""Commands beyond ``list`` and ``index``, one module per group of commands.

Each module exposes ``COMMANDS``, the click commands that ``newscat.cli``
registers on the group. A module imports only click and light helpers at the
top, so that ``newscat --help`` stays fast.
"""

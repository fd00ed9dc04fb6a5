"""The ``colddiff`` commands, one module each: its options next to its body.

Each module has ``add_parser(subparsers)``, which registers the command with ``run`` as its
body; ``zoo.cli`` assembles them.
"""

from . import degrade, demo, evaluate, generate, list, restore, samples, train

COMMANDS = (list, samples, degrade, restore, generate, train, evaluate, demo)
"""In the order ``colddiff --help`` lists them."""

"""zoo: the paper's schedules by name and pretrained restorers, tying the other packages together.

Named schedules and models arrive with issue 5.
"""

__version__ = "0.1.0"

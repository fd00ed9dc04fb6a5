"""restore: restoration networks ``R(x, t)`` and their training for any degradation ``D(x, t)``.

The U-Net and its trainer arrive with issue 4; ``restore`` needs no more of ``degrade`` than a
callable ``D``.
"""

__version__ = "0.1.0"

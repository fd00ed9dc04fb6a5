"""samplers: algorithm-agnostic cold diffusion sampling loops for any callables ``R`` and ``D``.

The loops (TACoS, Algorithm 2 of cold-diffusion.md, and friends) arrive with issue 3; this
package depends on torch alone and never imports ``degrade``.
"""

__version__ = "0.1.0"

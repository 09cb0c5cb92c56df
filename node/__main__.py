"""`python -m node …` is `baochain …` (how `baochain network up` starts nodes: with the very
Python that runs it, whatever is on PATH)."""

from node.cli import main

main()

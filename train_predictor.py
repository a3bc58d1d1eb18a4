#!/usr/bin/env python
"""Train a NAR ranker: NAS-Bench-101 by default, with the project's default settings.

Same options as `narank train --help` (the recipe is `narank.train.train_ranker`).
"""

import sys

from narank.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))

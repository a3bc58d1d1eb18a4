#!/usr/bin/env python
"""Train a NAR ranker: NAS-Bench-101 by default, with the project's default settings.

Same options as `narank train --help` (the recipe is `narank.train.train_ranker`). The
checkpoint goes to checkpoints/nb101-cifar10-n4236-s0.pt unless --out says otherwise; it is
rewritten every --checkpoint-every epochs, so a killed run continues with --resume FILE.
"""

import sys

from narank.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))

import sys

from narank.cli import main

sys.exit(main())

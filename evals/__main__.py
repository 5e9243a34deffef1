"""``python -m evals`` is the ``evals`` command."""

import sys

from evals.cli import main

sys.exit(main())

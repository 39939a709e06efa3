"""`python -m maestroc` runs the command line."""

import sys

from maestroc.cli import main

sys.exit(main())

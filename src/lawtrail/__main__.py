"""`python -m lawtrail` is the `lawtrail` command."""

import sys

from lawtrail.cli import main

sys.exit(main())

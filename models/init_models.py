#!/usr/bin/python3.11
"""Entry script for the ``init_models`` binary (see ``docintel_models.init_models``)."""

import sys

from docintel_models.init_models import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m docintel_models``: run the ``init_models`` command."""

import sys

from docintel_models.init_models import main

if __name__ == "__main__":
    sys.exit(main())

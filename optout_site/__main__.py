import sys

from optout_site.cli import main

sys.exit(main())

"""`make ohif`: patch the SEER panel into a copy of the OHIF build files it changes (apps/seer/ohif/build/), which
the server serves at /ohif/ ahead of the monailabel wheel's own files (left untouched). Offline; fails loudly
when the wheel's build is not the one the patches were written against. The patches: lib/server/ohif.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # apps/seer, for lib.*

from lib.server.ohif import main  # noqa: E402

if __name__ == "__main__":
    main()

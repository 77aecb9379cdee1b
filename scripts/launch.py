"""`make up`: the Procfile's services in one terminal, with coloured, name-prefixed logs.

honcho's process manager does the work (Ctrl-C or SIGTERM stops every service gracefully). Unlike
`honcho start` it hands no PORT to the processes, so each listens on its design.md port unless
the caller sets one; every other variable the caller sets passes through to every service.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    procfile = parse_procfile((REPO / "Procfile").read_text())
    wanted = sys.argv[1:] or list(procfile.processes)
    unknown = set(wanted) - set(procfile.processes)
    if unknown:
        print(f"no such service: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty(), prefix=True))
    env = dict(os.environ)
    for name in wanted:
        manager.add_process(name, procfile.processes[name], env=env, cwd=str(REPO))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())

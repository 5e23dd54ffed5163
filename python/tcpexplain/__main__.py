"""The ``tcpexplain`` command: the same command line as the Rust binary.

``python -m tcpexplain --help`` and the ``tcpexplain`` script that pip
installs both run it.
"""

from __future__ import annotations

import sys

from ._tcpexplain import cli_main


def main() -> None:
    """Runs the command line with ``sys.argv`` and exits with its status.

    File names that are not UTF-8 are in ``sys.argv`` as surrogate escapes;
    ``cli_main`` turns them back into the same bytes.
    """
    sys.stdout.flush()
    sys.exit(cli_main(["tcpexplain", *sys.argv[1:]]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An emulator of OpenRouter's management API (keys, guardrails, workspaces) with fault injection.

Standard library only, so it starts in any virtualenv with nothing installed. The parts live in emulation/; this
file is the command and the facade tests import. See docs/emulator.md.

    python3 tests/emulator/openrouter_emulator.py --port 0 [--host 127.0.0.1] [--management-key KEY]
        [--state FILE] [--verbose]
"""

from __future__ import annotations

import argparse
import signal
import sys

# Imported as part of the collection (ansible_collections....tests.emulator) or, run as a script or from its
# folder on sys.path, as top-level modules: either way the package below is the same code.
if __package__:
    from .emulation.common import API_PREFIX, CONTROL_PREFIX, DEFAULT_MANAGEMENT_KEY, DEFAULT_WORKSPACE_ID, ApiError
    from .emulation.control import Control
    from .emulation.faults import HTML_BODY, MALFORMED_BODY, Fault
    from .emulation.guardrails import default_guardrail_id
    from .emulation.keys import PAGE_SIZE, USAGE_FIELDS
    from .emulation.server import EmulatorServer, serve
    from .emulation.state import Emulator
else:
    from emulation.common import API_PREFIX, CONTROL_PREFIX, DEFAULT_MANAGEMENT_KEY, DEFAULT_WORKSPACE_ID, ApiError
    from emulation.control import Control
    from emulation.faults import HTML_BODY, MALFORMED_BODY, Fault
    from emulation.guardrails import default_guardrail_id
    from emulation.keys import PAGE_SIZE, USAGE_FIELDS
    from emulation.server import EmulatorServer, serve
    from emulation.state import Emulator

__all__ = [
    "API_PREFIX",
    "CONTROL_PREFIX",
    "DEFAULT_MANAGEMENT_KEY",
    "DEFAULT_WORKSPACE_ID",
    "HTML_BODY",
    "MALFORMED_BODY",
    "PAGE_SIZE",
    "USAGE_FIELDS",
    "ApiError",
    "Control",
    "Emulator",
    "EmulatorServer",
    "Fault",
    "default_guardrail_id",
    "main",
    "serve",
]


def _stop(_signum, _frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Emulate the OpenRouter management API on loopback (see docs/emulator.md)."
    )
    parser.add_argument("--port", type=int, required=True, help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--management-key", default=DEFAULT_MANAGEMENT_KEY, help="the management key (default: %(default)s)"
    )
    parser.add_argument(
        "--state", metavar="FILE", help="load the state from FILE if it exists and save it there after every change"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        server = EmulatorServer((args.host, args.port), Emulator(args.management_key, args.state), args.verbose)
    except (OSError, ValueError) as error:
        print(f"openrouter_emulator: {error}", file=sys.stderr)
        return 2
    # Both end the server the same clean way; SIGINT is set too because a shell ignores it in background jobs.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    # The first line of stdout is the base URL, so a caller that asked for port 0 learns the port.
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.emulator.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Loaded before every suite: the whole pytest process runs under eventlet, as nameko does.

nameko 2.14's pytest plugin no longer monkey-patches (it suggests ``nameko test``); the
patch must come before anything else creates sockets or threads, and a root conftest is
imported first. The gateway and end-to-end suites work the same patched or not.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()


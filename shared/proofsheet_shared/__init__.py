"""Shared kit for Proofsheet services and the gateway."""
import warnings

# nameko 2.14 runs on eventlet, which now warns on import that it is in maintenance mode.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from . import serialization  # noqa: E402

serialization.install()

"""Shared kit for Proofsheet services and the gateway."""
from . import serialization

serialization.install()

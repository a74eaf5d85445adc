"""Shared kit for Proofsheet services and the gateway."""

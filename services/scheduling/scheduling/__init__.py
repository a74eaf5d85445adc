"""Proofsheet scheduling service."""

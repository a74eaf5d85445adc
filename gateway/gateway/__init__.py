"""The Proofsheet gateway: authentication, the public REST API, and the staff service."""

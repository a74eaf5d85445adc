"""Request and response schemas of the public API, shared by the gateway and the services.

The gateway validates requests and builds its OpenAPI document from these; the owning
service validates its RPC input with the same classes.
"""

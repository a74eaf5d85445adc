"""The gateway's HTTP routes, one module a resource."""

"""A tiny nameko service the RPC client tests talk to (run with ``nameko run``)."""
from proofsheet_shared.entrypoints import rpc
from proofsheet_shared.errors import NotFound


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value

    @rpc
    def missing(self, ident):
        raise NotFound(f"thing {ident} does not exist", {"id": "not found"})

    @rpc
    def broken(self):
        raise RuntimeError("a bug")

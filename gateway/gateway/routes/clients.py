from proofsheet_shared.contracts.clients import (LOOKUP_KINDS, ClientInSchema, ClientOutSchema,
                                                 ClientPageSchema, ClientSearchArgs, FamilyMemberInSchema,
                                                 FamilyMemberOutSchema, LookupInSchema, LookupOutSchema)

from ..api import Api
from ..auth import rpc

api = Api("clients")


@api.route("/clients", "GET", "Search and list clients (q: name prefix, number, phone, email)", "clients",
           query=ClientSearchArgs, response=ClientPageSchema, permission="clients.read")
def get_clients(args):
    return rpc("clients", "search_clients", args)


@api.route("/clients", "POST", "Create a client", "clients", body=ClientInSchema, response=ClientOutSchema,
           status=201, permission="clients.write")
def post_client(body):
    return rpc("clients", "create_client", body)


@api.route("/clients/<int:client_id>", "GET", "One client", "clients", response=ClientOutSchema,
           permission="clients.read")
def get_client(client_id):
    return rpc("clients", "get_client", client_id)


@api.route("/clients/<int:client_id>", "PATCH", "Change a client", "clients", body=ClientInSchema,
           partial=True, response=ClientOutSchema, permission="clients.write")
def patch_client(client_id, body):
    return rpc("clients", "update_client", client_id, body)


@api.route("/clients/<int:client_id>", "DELETE", "Delete a client (kept for history, hidden everywhere)",
           "clients", status=204, permission="clients.delete",
           extra_responses={409: "other records still reference the client"})
def delete_client(client_id):
    rpc("clients", "delete_client", client_id)
    return "", 204


@api.route("/clients/<int:client_id>/family-members", "GET", "A client's family members", "clients",
           permission="clients.read")
def get_family(client_id):
    return rpc("clients", "list_family_members", client_id)


@api.route("/clients/<int:client_id>/family-members", "POST", "Add a family member", "clients",
           body=FamilyMemberInSchema, response=FamilyMemberOutSchema, status=201, permission="clients.write")
def post_family(client_id, body):
    return rpc("clients", "add_family_member", client_id, body)


@api.route("/clients/<int:client_id>/family-members/<int:member_id>", "PATCH", "Change a family member",
           "clients", body=FamilyMemberInSchema, partial=True, response=FamilyMemberOutSchema,
           permission="clients.write")
def patch_family(client_id, member_id, body):
    return rpc("clients", "update_family_member", client_id, member_id, body)


@api.route("/clients/<int:client_id>/family-members/<int:member_id>", "DELETE", "Remove a family member",
           "clients", status=204, permission="clients.write")
def delete_family(client_id, member_id):
    rpc("clients", "delete_family_member", client_id, member_id)
    return "", 204


def _lookup_routes(kind):
    def list_view():
        return rpc("clients", "list_lookups", kind)

    def create_view(body):
        return rpc("clients", "create_lookup", kind, body)

    def update_view(lookup_id, body):
        return rpc("clients", "update_lookup", kind, lookup_id, body)

    def delete_view(lookup_id):
        rpc("clients", "delete_lookup", kind, lookup_id)
        return "", 204

    name = kind.replace("-", "_")
    for fn, suffix in ((list_view, "list"), (create_view, "create"), (update_view, "update"),
                       (delete_view, "delete")):
        fn.__name__ = f"{name}_{suffix}"
    label = kind.replace("-", " ")
    api.route(f"/{kind}", "GET", f"List {label}", "lookups", permission="clients.read")(list_view)
    api.route(f"/{kind}", "POST", f"Add to {label}", "lookups", body=LookupInSchema, response=LookupOutSchema,
              status=201, permission="clients.configure")(create_view)
    api.route(f"/{kind}/<int:lookup_id>", "PATCH", f"Change one of {label}", "lookups", body=LookupInSchema,
              partial=True, response=LookupOutSchema, permission="clients.configure")(update_view)
    api.route(f"/{kind}/<int:lookup_id>", "DELETE", f"Remove one of {label} (refused while in use)",
              "lookups", status=204, permission="clients.configure")(delete_view)


for _kind in LOOKUP_KINDS:
    _lookup_routes(_kind)

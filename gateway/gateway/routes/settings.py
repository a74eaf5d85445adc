from flask import current_app, g

from proofsheet_shared.contracts.clients import ClientSettingsSchema

from ..api import Api
from ..auth import rpc
from ..schemas import StudioSettingsSchema
from ..studio import get_settings_row, settings_to_dict, update_settings

api = Api("settings")


@api.route("/settings/studio", "GET", "The studio's name, address, time zone and currency", "settings",
           response=StudioSettingsSchema, permission="settings.read")
def get_studio():
    with current_app.extensions["proofsheet"].db.session() as session:
        return settings_to_dict(get_settings_row(session))


@api.route("/settings/studio", "PATCH", "Change the studio settings (currency is fixed once money is recorded)",
           "settings", body=StudioSettingsSchema, partial=True, response=StudioSettingsSchema,
           permission="settings.manage")
def patch_studio(body):
    state = current_app.extensions["proofsheet"]
    with state.db.session() as session:
        settings, event_id = update_settings(session, body, g.caller.context())
    state.relay.dispatch([event_id])
    return settings


@api.route("/settings/clients", "GET", "Client numbering and capitalisation", "settings",
           response=ClientSettingsSchema, permission="clients.read")
def get_client_settings():
    return rpc("clients", "get_settings")


@api.route("/settings/clients", "PATCH", "Change client numbering and capitalisation", "settings",
           body=ClientSettingsSchema, partial=True, response=ClientSettingsSchema,
           permission="clients.configure")
def patch_client_settings(body):
    return rpc("clients", "update_settings", body)

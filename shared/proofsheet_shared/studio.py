"""Keep a service's cached studio settings current when the staff service announces a change."""
import datetime as dt
from zoneinfo import ZoneInfo

from nameko.events import BROADCAST
from nameko.events import event_handler as nameko_event_handler

from .cluster import StudioSettings


class StudioSettingsMixin:
    """Mix into a service class that has ``studio = StudioSettings()``: every replica hears
    ``staff.studio_settings_changed`` (a broadcast, not a shared queue) and updates its cache."""

    studio = StudioSettings()

    @nameko_event_handler("staff", "studio_settings_changed", handler_type=BROADCAST,
                          reliable_delivery=False)
    def on_studio_settings_changed(self, envelope):
        self.studio._provider.update(envelope["data"]["settings"])


def studio_today(studio):
    return dt.datetime.now(ZoneInfo(studio.time_zone)).date()

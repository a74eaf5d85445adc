"""The clients service: everything a studio records about its clients."""

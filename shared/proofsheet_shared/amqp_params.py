"""An AMQP URI as py-amqp connection arguments."""
from urllib.parse import unquote, urlparse


def connection_params(amqp_uri):
    url = urlparse(amqp_uri)
    vhost = unquote(url.path[1:]) if url.path and url.path != "/" else "/"
    return {"host": f"{url.hostname or 'localhost'}:{url.port or 5672}",
            "userid": unquote(url.username or "guest"), "password": unquote(url.password or "guest"),
            "virtual_host": vhost or "/", "heartbeat": 0, "connect_timeout": 3}

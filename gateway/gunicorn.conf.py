"""gunicorn settings for the gateway: threaded workers (gunicorn has no eventlet worker)."""
import os

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 30
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
errorlog = "-"
control_socket_disable = True

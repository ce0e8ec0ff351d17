"""Everything MONAI Label-specific beyond the task classes: the datastores (`datastore.py`), the ASGI entry point
that `--uvicorn_app lib.server.asgi:app` serves (`asgi.py`), its route table (`routes.py`) and request middleware
(`middleware.py`), and `compat.py`, the one module that reaches into MONAI Label's internals."""

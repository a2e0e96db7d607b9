"""CLI commands of individual areas; each module has ``register(app)``."""

"""kpi6: Indicator 6 of the DLA performance evaluation as a Prefect pipeline."""

import os

# Prefect's telemetry heartbeat locks the ephemeral SQLite API ("database is locked"), and its
# default 20 s start-up timeout is too short on a cold 2-core machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

__version__ = "0.1.0"

"""Serve kpi6's deployments from one process, without a work pool: for a one-machine office.

    python -m kpi6.deployments.serve        # or: python deployments/serve.py

`province-round` is triggered by hand (UI or `prefect deployment run 'province-round/province-round'`), and
`propose-topics` (step 1's topics and plan from the province's LPA results);
`daily-reminders` runs every working-day morning at 08:30 Bangkok time; `national-scoreboard` every evening.
The same schedules as prefect.yaml.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from kpi6.flows.province import province_round
from kpi6.flows.reminders import daily_reminders
from kpi6.flows.scoring import score_round
from kpi6.flows.topics import propose_topics

TIMEZONE = "Asia/Bangkok"


def deployments() -> list:
    return [
        province_round.to_deployment(name="province-round", tags=["kpi6", "manual"]),
        propose_topics.to_deployment(name="propose-topics", tags=["kpi6", "manual"]),
        daily_reminders.to_deployment(
            name="daily-reminders", tags=["kpi6", "reminders"], schedule=Cron("30 8 * * 1-5", timezone=TIMEZONE)
        ),
        score_round.to_deployment(
            name="national-scoreboard",
            tags=["kpi6", "scoreboard"],
            schedule=Cron("0 18 * * *", timezone=TIMEZONE),
            parameters={"report": True},
        ),
    ]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()

"""The demo can be loaded on any day of the year (README's first command), and holds only what
the system could have made: on days where it once broke.

- 1–3 January: the blacklisted expert's third violation, dated from today, fell before his
  second (fixed in last August) and the ladder refused it; the cases of "this year" fell in
  last year after last year's assessment had been published.
- 4 June: a job the demo dropped (its savepoint rolled back) stayed in an expert's
  collections, and the next flush inserted its draw again under the old id.
"""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app import clock, create_app
from app.demo.seed import seed_demo
from app.extensions import db
from app.services.reference import ensure_reference_data
from models import AnnualAssessment, Violation


@pytest.mark.parametrize("day", [dt.date(2027, 1, 1), dt.date(2027, 1, 3), dt.date(2027, 6, 4)])
def test_the_demo_loads_on_any_day_and_is_consistent(tmp_path, day):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}",
                      "UPLOAD_DIR": str(tmp_path / "up")})
    with app.app_context(), clock.frozen(clock.at_local(day, dt.time(10, 0))):
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        seed_demo(experts=12, today=day)
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["check-integrity"])
        assert result.exit_code == 0, result.output
        # Last year's assessment counted every violation found last year and verified: it was
        # decided after them, as a bureau's would be.
        last_year = day.year - 1
        found_last_year = dict(db.session.execute(
            select(Violation.expert_id, func.count()).where(
                Violation.state == "verified", Violation.found_on.between(dt.date(last_year, 1, 1),
                                                                          dt.date(last_year, 12, 31)))
            .group_by(Violation.expert_id)).all())
        counted = dict(db.session.execute(select(AnnualAssessment.expert_id, AnnualAssessment.violation_count).where(
            AnnualAssessment.year == last_year, AnnualAssessment.violation_count > 0)).all())
        assert found_last_year and counted == found_last_year
        # the ladder's story holds: one expert blacklisted after a warning and a suspension
        sanctions = db.session.scalars(select(Violation.sanction).where(
            Violation.state == "verified").order_by(Violation.expert_id, Violation.verified_on)).all()
        assert sanctions.count("blacklist") == 1
        db.engine.dispose()

"""The admin home: experts per group and status, and terms ending within 30/90 days."""
import datetime as dt

from app import clock
from models import Term
from tests import factories


def test_dashboard_lists_terms_ending_soon(app, db, client, login_as):
    soon = factories.appointed_expert(name="郑海涛")
    term = db.session.query(Term).filter_by(expert_id=soon.id).one()
    term.end_date = clock.today() + dt.timedelta(days=20)
    later = factories.appointed_expert(name="冯春林")
    db.session.query(Term).filter_by(expert_id=later.id).one().end_date = clock.today() + dt.timedelta(days=400)
    db.session.commit()
    login_as("office")
    html = client.get("/admin/").get_data(as_text=True)
    assert "聘期即将届满" in html and "郑海涛" in html and "20天" in html
    assert "冯春林" not in html
    assert "在聘专家（按组别）" in html and "化工" in html


def test_units_do_not_see_the_term_list(app, db, client, login_as):
    soon = factories.appointed_expert(name="郑海涛")
    db.session.query(Term).filter_by(expert_id=soon.id).one().end_date = clock.today() + dt.timedelta(days=20)
    db.session.commit()
    login_as("town")
    html = client.get("/admin/").get_data(as_text=True)
    assert "工作台" in html and "聘期即将届满" not in html

"""The 承诺书 list shows each letter's 聘期 (issue 19 §2: the column was empty on every row)."""
import datetime as dt

from app.services.lifecycle import terms as term_service
from models import CommitmentLetter
from tests import factories


def test_the_letter_list_names_the_term(app, db, client, login_as):
    office = login_as("office")
    with_term = factories.expert(name="签字甲")
    term = term_service.start_term(with_term, cohort=2, doc_no="武应急〔2026〕51号", start_date=dt.date(2026, 3, 1),
                                   actor=office)
    term_service.record_commitment(with_term, signed_on=dt.date(2026, 3, 2), actor=office)
    legacy = factories.appointed_expert(name="签字乙", start=dt.date(2025, 6, 1))  # letter kept without a term
    db.session.commit()
    assert db.session.query(CommitmentLetter).filter_by(expert_id=legacy.id).one().term_id is None
    html = client.get("/admin/commitment_letter/").get_data(as_text=True)
    assert f"第2届 {term.start_date}至{term.end_date}" in html
    assert "第1届 2025-06-01至2028-05-31" in html

"""Published versions kept per process (app.services.forms.published): a submission is checked
against the version its page was rendered with, read from the worker's copy, and the copy
never hides what the office changed since — a new version, a draft, a deleted form whose row
id comes back with other questions."""
import datetime as dt

import pytest
from sqlalchemy import event, update

from app.extensions import db
from app.services.errors import DomainError
from app.services.forms import definitions, editing, published
from app.services.forms.submissions import Subject, save_submission
from app.services.forms.validation import Filled, FormInvalid
from models import FormField, FormSubmission, FormVersion
from tests import factories
from tests.forms.conftest import good_values, service_record_form


@pytest.fixture
def form(app):
    return service_record_form()


def _statements(run) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_second_request_reads_the_version_in_one_statement(form):
    current = definitions.current_version(form)
    first = published.version_for(form, current.id)
    db.session.expunge_all()
    assert _statements(lambda: published.version_for(form, current.id)) == 1
    again = published.version_for(form, current.id)
    assert again is first  # the worker's copy
    assert [f.label for f in again.fields] == [f.label for f in current.fields]
    assert all(f.section.version is again for f in again.fields)


def test_a_page_of_an_older_version_gets_that_version_and_no_page_the_newest(form):
    v1 = definitions.current_version(form)
    published.version_for(form, v1.id)
    v2 = definitions.start_draft(form)
    editing.update_field(v2.fields[0], {"label": "服务企业", "kind": "text", "required": True})
    assert published.version_for(form, None).id == v1.id  # a draft is never filled
    definitions.publish(v2)
    assert published.version_for(form, v1.id).id == v1.id
    assert published.version_for(form, None).fields[0].label == "服务企业"
    assert published.version_for(form, "abc").id == v2.id
    assert published.version_for(form, 10**9).id == v2.id


def test_another_forms_version_id_is_not_taken(form, app):
    other = service_record_form()
    theirs = definitions.current_version(other)
    assert published.version_for(form, theirs.id).id == definitions.current_version(form).id


def test_a_form_without_a_published_version_is_refused(app):
    draft = service_record_form(publish=False)
    with pytest.raises(DomainError, match="还没有发布的版本"):
        published.version_for(draft, None)


def test_a_version_id_used_again_with_other_questions_is_not_read_from_the_copy(form):
    """SQLite gives a deleted row's id to the next row: the copy is keyed by the moment of
    publication as well, so another form's version under the same id is loaded afresh."""
    version = definitions.current_version(form)
    assert published.version_for(form, version.id).fields[0].label == "服务单位"
    db.session.execute(update(FormField).where(FormField.id == version.fields[0].id).values(label="另一个问题"))
    db.session.execute(update(FormVersion).where(FormVersion.id == version.id)
                       .values(published_at=version.published_at + dt.timedelta(seconds=1)))
    db.session.expire_all()
    assert published.version_for(form, version.id).fields[0].label == "另一个问题"


def test_a_copy_someone_attached_to_a_session_is_loaded_afresh(form, town):
    form_id, version_id, unit_id = form.id, definitions.current_version(form).id, town.org_unit_id
    copy = published.version_for(form, version_id)
    expert_id = factories.appointed_expert().id
    db.session.commit()
    db.session.expunge_all()  # (while the session holds the version's own row, SQLAlchemy refuses)
    # A careless caller links a record to the copy itself: the session takes it over.
    db.session.add(FormSubmission(form_id=form_id, version=copy, expert_id=expert_id, unit_id=unit_id))
    db.session.commit()
    db.session.close()
    again = published.version_for(db.session.get(type(form), form_id), version_id)
    assert again is not copy
    assert again.fields[0].label == "服务单位"


def test_a_submission_is_checked_against_the_kept_copy_and_saved(form, town):
    expert_id, form_id, town_id = factories.appointed_expert().id, form.id, town.id
    db.session.commit()
    version = published.version_for(form, None)
    db.session.expunge_all()  # the next request: only the worker's copy is at hand
    form, town = db.session.get(type(form), form_id), db.session.get(type(town), town_id)
    values, files = good_values(version)
    values[next(f.key for f in version.fields if f.label == "专业水平")] = "11"
    with pytest.raises(FormInvalid, match="超过该项满分10分"):
        save_submission(form, Filled(values=values, files=files), by=town, version_id=version.id,
                        subject=Subject(expert_id=expert_id))
    db.session.rollback()
    values, files = good_values(version)
    sub, created = save_submission(form, Filled(values=values, files=files), by=town, version_id=version.id,
                                   subject=Subject(expert_id=expert_id))
    db.session.commit()
    assert created and sub.total == 19 and len(sub.answers) == 9

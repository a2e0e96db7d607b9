"""``flask --app wsgi reference-data``: what every installation needs besides its schema.

``flask db upgrade`` creates the tables and the 12 groups; the rest of the reference data —
the 附件5 evaluation form and the software's other forms, the 附件4 fee standard, the official
holiday calendar and the default settings — is filled in here (app.services.reference). It is
idempotent and keeps whatever the office has changed, so the deployment script runs it after
every upgrade: a new release adds, for example, the next year's holidays or a new setting.
"""
import click

from app.extensions import db
from app.services.reference import ensure_reference_data


@click.command("reference-data")
def reference_data():
    """补齐基础数据：附件5评价表等系统表单、附件4收费标准、法定节假日和参数设置（已修改的不覆盖）。"""
    ensure_reference_data()
    db.session.commit()
    click.echo("基础数据已补齐：系统表单、收费标准、法定节假日和参数设置（已有的保持不变）。")

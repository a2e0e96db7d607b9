"""Demo data for a first look at the system (``flask --app wsgi seed-demo``)."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="仅在数据库中还没有专家时导入")
@with_appcontext
def seed_demo_command(if_empty):
    """导入演示数据：单位、专家、企业和每个角色的演示账号。"""
    if current_app.config["ENV_NAME"] == "production":
        # The demo accounts (admin, office…) share a password printed in the README.
        raise click.ClickException(
            "生产环境（APP_ENV=production）不能导入演示数据：演示账号的密码是公开的；未做任何改动。")
    from app.demo.seed import seed_demo

    created = seed_demo(only_if_empty=if_empty)
    click.echo("演示数据已导入。" if created else "数据库中已有数据，未导入演示数据。")

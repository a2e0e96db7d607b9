"""the 12 expert groups of 第三条

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen copy of models.choices.EXPERT_GROUPS as of this migration.
GROUPS = [
    ("chemical", "化工"),
    ("fireworks", "烟花爆竹"),
    ("metallurgy_gas", "冶金煤气"),
    ("machinery", "机械"),
    ("electrical", "电气"),
    ("building_materials", "建材"),
    ("textile", "纺织"),
    ("light_industry", "轻工"),
    ("metal_smelting", "金属冶炼"),
    ("metal_dust", "金属粉尘"),
    ("wood_dust", "木质粉尘"),
    ("confined_space", "有限空间"),
]


def upgrade():
    table = sa.table(
        "expert_group",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("sort_order", sa.Integer),
    )
    op.bulk_insert(table, [{"code": c, "name": n, "sort_order": i} for i, (c, n) in enumerate(GROUPS, start=1)])


def downgrade():
    op.execute(sa.text("DELETE FROM expert_group"))

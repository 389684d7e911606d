"""one course plan per condition: its first consultation and follow-up, how many sessions
and the package, moved off each service (taking each condition's first consultation's)

Revision ID: a3d5e7f9b2c4
Revises: 8c4f2a6e1b37
Create Date: 2026-12-04 23:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a3d5e7f9b2c4"
down_revision = "8c4f2a6e1b37"
branch_labels = None
depends_on = None

CONDITIONS = ("neck", "back")
DEFAULTS = {"neck": (5, 8, 12), "back": (8, 10, 12)}
MOVED = (
    "course_min",
    "course_typical",
    "course_max",
    "package_sessions",
    "package_price_cents",
    "package_discount_percent",
)
CHECKS = ("ck_service_course_plan_order", "ck_service_package_shape")
PACKAGE_SHAPE = (
    "package_sessions IS NULL OR (package_sessions >= 2 AND "
    "((package_price_cents IS NOT NULL AND package_price_cents > 0 "
    "AND package_discount_percent IS NULL) OR "
    "(package_discount_percent BETWEEN 1 AND 90 AND package_price_cents IS NULL)))"
)


def _first(bind, condition: str, kind: str):
    return bind.execute(
        sa.text(
            "SELECT id, course_min, course_typical, course_max, package_sessions, "
            "package_price_cents, package_discount_percent FROM service "
            "WHERE condition = :condition AND kind = :kind "
            "ORDER BY active DESC, position, id LIMIT 1"
        ),
        {"condition": condition, "kind": kind},
    ).first()


def _without_constraint(sql: str, name: str) -> str:
    """The CREATE TABLE text with one named CHECK (and its comma) taken out, if it is there.

    A database downgraded past this step on SQLite has the columns without their CHECKs.
    """
    start = sql.find(f"CONSTRAINT {name} CHECK")
    if start < 0:
        return sql
    depth, opening = 0, sql.index("(", start)
    end = opening
    for end in range(opening, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    before = sql[:start].rstrip()
    if before.endswith(","):
        before = before[:-1]
    return before + sql[end + 1 :]


def _drop_service_checks(bind) -> None:
    if bind.dialect.name != "sqlite":
        for name in CHECKS:
            op.drop_constraint(op.f(name), "service", type_="check")
        return
    # SQLite cannot drop a CHECK, and a batch copy of `service` would drop the table
    # bookings refer to: edit the stored definition (the constraints hold no data), then
    # drop the columns in place.
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'service'"
    ).scalar()
    for name in CHECKS:
        sql = _without_constraint(sql, name)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'service'", (sql,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade():
    op.create_table(
        "course_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=10), nullable=False),
        sa.Column("first_service_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_service_id", sa.Integer(), nullable=True),
        sa.Column("min_sessions", sa.Integer(), nullable=False),
        sa.Column("typical_sessions", sa.Integer(), nullable=False),
        sa.Column("max_sessions", sa.Integer(), nullable=False),
        sa.Column("package_sessions", sa.Integer(), nullable=True),
        sa.Column("package_price_cents", sa.Integer(), nullable=True),
        sa.Column("package_discount_percent", sa.Integer(), nullable=True),
        sa.CheckConstraint("condition IN ('neck', 'back')", name=op.f("ck_course_plan_condition")),
        sa.CheckConstraint(
            "min_sessions >= 1 AND min_sessions <= typical_sessions "
            "AND typical_sessions <= max_sessions",
            name=op.f("ck_course_plan_session_order"),
        ),
        sa.CheckConstraint(PACKAGE_SHAPE, name=op.f("ck_course_plan_package_shape")),
        sa.ForeignKeyConstraint(
            ["first_service_id"],
            ["service.id"],
            name=op.f("fk_course_plan_first_service_id_service"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_service_id"],
            ["service.id"],
            name=op.f("fk_course_plan_follow_up_service_id_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_plan")),
        sa.UniqueConstraint("condition", name=op.f("uq_course_plan_condition")),
    )
    bind = op.get_bind()
    for number, condition in enumerate(CONDITIONS, 1):
        first = _first(bind, condition, "initial")
        follow_up = _first(bind, condition, "follow-up")
        source = first or follow_up
        low, typical, high = (source[1], source[2], source[3]) if source else DEFAULTS[condition]
        bind.execute(
            sa.text(
                "INSERT INTO course_plan (id, condition, first_service_id, "
                "follow_up_service_id, min_sessions, typical_sessions, max_sessions, "
                "package_sessions, package_price_cents, package_discount_percent) VALUES "
                "(:id, :condition, :first, :follow_up, :low, :typical, :high, "
                ":sessions, :price, :percent)"
            ),
            {
                "id": number,
                "condition": condition,
                "first": first[0] if first else None,
                "follow_up": follow_up[0] if follow_up else None,
                "low": low,
                "typical": typical,
                "high": high,
                "sessions": source[4] if source else None,
                "price": source[5] if source else None,
                "percent": source[6] if source else None,
            },
        )
    _drop_service_checks(bind)
    for column in MOVED:
        op.drop_column("service", column)


def downgrade():
    # Each service takes its condition's plan back; the old CHECKs return on PostgreSQL
    # (SQLite keeps the columns without them).
    for column in ("course_min", "course_typical", "course_max"):
        op.add_column(
            "service", sa.Column(column, sa.Integer(), nullable=False, server_default="1")
        )
    for column in MOVED[3:]:
        op.add_column("service", sa.Column(column, sa.Integer(), nullable=True))
    bind = op.get_bind()
    for column, source in zip(
        MOVED,
        (
            "min_sessions",
            "typical_sessions",
            "max_sessions",
            "package_sessions",
            "package_price_cents",
            "package_discount_percent",
        ),
        strict=True,
    ):
        bind.execute(
            sa.text(
                f"UPDATE service SET {column} = (SELECT {source} FROM course_plan "  # noqa: S608
                "WHERE course_plan.condition = service.condition)"
            )
        )
    if bind.dialect.name != "sqlite":
        op.create_check_constraint(
            op.f("ck_service_course_plan_order"),
            "service",
            "course_min >= 1 AND course_min <= course_typical AND course_typical <= course_max",
        )
        op.create_check_constraint(op.f("ck_service_package_shape"), "service", PACKAGE_SHAPE)
    op.drop_table("course_plan")

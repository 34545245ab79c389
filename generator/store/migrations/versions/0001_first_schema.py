"""first schema: partnerships, rounds, submissions, figures

Revision ID: 0001
Revises: (none: the first schema)
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pbp_partnerships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('region', sa.String(length=500), nullable=False),
    sa.Column('structure', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbp_partnerships')),
    sa.UniqueConstraint('key', name=op.f('uq_pbp_partnerships_key'))
    )
    op.create_table('pbp_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbp_rounds')),
    sa.UniqueConstraint('label', name=op.f('uq_pbp_rounds_label'))
    )
    op.create_table('pbp_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('template_id', sa.String(length=100), nullable=False),
    sa.Column('template_version', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=50), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('filled', sa.Boolean(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['pbp_partnerships.id'], name=op.f('fk_pbp_submissions_partnership_id_pbp_partnerships')),
    sa.ForeignKeyConstraint(['round_id'], ['pbp_rounds.id'], name=op.f('fk_pbp_submissions_round_id_pbp_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['pbp_submissions.id'], name=op.f('fk_pbp_submissions_superseded_by_id_pbp_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbp_submissions'))
    )
    with op.batch_alter_table('pbp_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pbp_submissions_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pbp_submissions_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_pbp_submissions_round_sha', ['round_id', 'sha256'], unique=False)

    op.create_table('pbp_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=100), nullable=True),
    sa.Column('year', sa.String(length=20), nullable=True),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['pbp_submissions.id'], name=op.f('fk_pbp_figures_submission_id_pbp_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbp_figures'))
    )
    with op.batch_alter_table('pbp_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pbp_figures_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pbp_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pbp_figures_submission_id'))

    op.drop_table('pbp_figures')
    with op.batch_alter_table('pbp_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_pbp_submissions_round_sha')
        batch_op.drop_index(batch_op.f('ix_pbp_submissions_round_id'))
        batch_op.drop_index(batch_op.f('ix_pbp_submissions_partnership_id'))

    op.drop_table('pbp_submissions')
    op.drop_table('pbp_rounds')
    op.drop_table('pbp_partnerships')

"""An index on `plan_objective.lineage`.

Review ratings follow an objective across plan versions by its lineage; without the index,
finding them (a discharge summary's goal progress) read every review rating of the clinic:
60 ms per summary at 10,000 clients, and the scale clinic's generation spent most of its time there.
"""


def up(migrator, db):
    db.execute_sql('CREATE INDEX IF NOT EXISTS "planobjective_lineage" ON "plan_objective" ("lineage")')


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "planobjective_lineage"')

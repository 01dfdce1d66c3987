import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a demotion, a moderation and a withdrawal need from the schema:
 * - `spas.owner_listed`: whether the owner is an active employer or admin, derived by triggers
 *   (an account change re-derives its spas; an insert or an attempt to write it derives it from
 *   the owner), so the public lists hide a demoted or deactivated employer's spas and jobs at
 *   once and show them again after a promotion, without touching their own `is_active`. The
 *   listing indexes include it, so a public page is still an index range scan.
 * - `jobs.closed_by_admin`: an admin's closing sticks (the owner cannot reopen); it implies the
 *   job is closed.
 * - applications may be `withdrawn` by their applicant.
 */
export class OwnershipAndModeration1795740000002 implements MigrationInterface {
  name = 'OwnershipAndModeration1795740000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spas ADD COLUMN owner_listed boolean NOT NULL DEFAULT true`);
    await q.query(`
      UPDATE spas s SET owner_listed = (u.is_active AND u.role IN ('employer', 'admin'))
      FROM users u WHERE u.id = s.owner_id`);
    await q.query(`
      CREATE FUNCTION spas_owner_listed_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE spas SET owner_listed = (NEW.is_active AND NEW.role IN ('employer', 'admin'))
        WHERE owner_id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_users_owner_listed
      AFTER UPDATE OF role, is_active ON users
      FOR EACH ROW
      WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active)
      EXECUTE FUNCTION spas_owner_listed_of_user()`);
    // COALESCE: an unknown owner leaves the foreign key to report it (409/404), not NOT NULL
    await q.query(`
      CREATE FUNCTION spas_owner_listed_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.owner_listed := COALESCE(
          (SELECT u.is_active AND u.role IN ('employer', 'admin') FROM users u WHERE u.id = NEW.owner_id),
          false);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_spas_owner_listed
      BEFORE INSERT OR UPDATE OF owner_id, owner_listed ON spas
      FOR EACH ROW EXECUTE FUNCTION spas_owner_listed_of_row()`);

    await q.query(`DROP INDEX idx_spas_is_active`);
    await q.query(
      `CREATE INDEX idx_spas_is_active ON spas (is_active, owner_listed, created_at DESC, id DESC)`,
    );
    await q.query(`DROP INDEX idx_spas_rating`);
    await q.query(
      `CREATE INDEX idx_spas_rating ON spas (rating DESC, id DESC) WHERE is_active AND owner_listed`,
    );

    await q.query(`
      ALTER TABLE jobs
        ADD COLUMN closed_by_admin boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT ck_jobs_closed_by_admin CHECK (NOT (closed_by_admin AND is_active))`);

    await q.query(`ALTER TABLE applications DROP CONSTRAINT ck_applications_status`);
    await q.query(`
      ALTER TABLE applications ADD CONSTRAINT ck_applications_status
        CHECK (status IN ('submitted', 'reviewed', 'shortlisted', 'rejected', 'hired', 'withdrawn'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE applications SET status = 'rejected' WHERE status = 'withdrawn'`);
    await q.query(`ALTER TABLE applications DROP CONSTRAINT ck_applications_status`);
    await q.query(`
      ALTER TABLE applications ADD CONSTRAINT ck_applications_status
        CHECK (status IN ('submitted', 'reviewed', 'shortlisted', 'rejected', 'hired'))`);
    await q.query(
      `ALTER TABLE jobs DROP CONSTRAINT ck_jobs_closed_by_admin, DROP COLUMN closed_by_admin`,
    );
    await q.query(`DROP INDEX idx_spas_rating`);
    await q.query(`CREATE INDEX idx_spas_rating ON spas (rating DESC, id DESC) WHERE is_active`);
    await q.query(`DROP INDEX idx_spas_is_active`);
    await q.query(`CREATE INDEX idx_spas_is_active ON spas (is_active, created_at DESC, id DESC)`);
    await q.query(`DROP TRIGGER trg_spas_owner_listed ON spas`);
    await q.query(`DROP FUNCTION spas_owner_listed_of_row()`);
    await q.query(`DROP TRIGGER trg_users_owner_listed ON users`);
    await q.query(`DROP FUNCTION spas_owner_listed_of_user()`);
    await q.query(`ALTER TABLE spas DROP COLUMN owner_listed`);
  }
}

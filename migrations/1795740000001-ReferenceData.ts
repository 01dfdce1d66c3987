import type { MigrationInterface, QueryRunner } from 'typeorm';
import { JOB_CATEGORIES, US_STATES } from './data/us-locations.js';

/** Migrations are frozen history: this slug rule is kept here rather than shared with app code. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’.]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** States, cities and job categories: the reference data every environment needs. */
export class ReferenceData1795740000001 implements MigrationInterface {
  name = 'ReferenceData1795740000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO states (code, name, slug) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [
        US_STATES.map((s) => s.code),
        US_STATES.map((s) => s.name),
        US_STATES.map((s) => slug(s.name)),
      ],
    );
    const cities = US_STATES.flatMap((s) => s.cities.map((name) => ({ code: s.code, name })));
    await q.query(
      `INSERT INTO cities (state_id, name, slug)
       SELECT s.id, c.name, c.slug
       FROM unnest($1::text[], $2::text[], $3::text[]) AS c(code, name, slug)
       JOIN states s ON s.code = c.code`,
      [cities.map((c) => c.code), cities.map((c) => c.name), cities.map((c) => slug(c.name))],
    );
    await q.query(
      `INSERT INTO job_categories (name, slug, description)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [
        JOB_CATEGORIES.map((c) => c.name),
        JOB_CATEGORIES.map((c) => slug(c.name)),
        JOB_CATEGORIES.map((c) => c.description),
      ],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM cities`);
    await q.query(`DELETE FROM states`);
    await q.query(`DELETE FROM job_categories`);
  }
}

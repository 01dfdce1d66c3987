import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, FILES, type TestUser } from '../support/factories.js';
import { binary } from '../support/files.js';

const unique = () => randomBytes(4).toString('hex');

interface CityRow {
  id: number;
  state_id: number;
  name: string;
  slug: string;
}

interface SpaRow {
  id: number;
  owner_id: number;
  name: string;
  slug: string;
  description: string | null;
  state_id: number;
  city_id: number;
  images: string[];
  rating: string;
  is_verified: boolean;
  is_active: boolean;
}

interface SpaBody {
  id: number;
  slug: string;
  name: string;
  rating: number;
  createdAt: string;
  city: { id: number };
  state: { id: number };
  images: string[];
}

describe('spas', () => {
  let t: TestApp;
  let admin: TestUser;
  let owner: TestUser;
  let rival: TestUser;
  let seeker: TestUser;
  /** Two cities of one state, and one city of another state. */
  let home: CityRow;
  let neighbour: CityRow;
  let faraway: CityRow;

  beforeAll(async () => {
    t = await createTestApp();
    [admin, owner, rival, seeker] = await Promise.all([
      createUser(t, 'admin'),
      createUser(t, 'employer', 'Olga Owner'),
      createUser(t, 'employer', 'Rita Rival'),
      createUser(t, 'job_seeker'),
    ]);
    const cities: CityRow[] = await t.db.query(
      `SELECT id, state_id, name, slug FROM cities ORDER BY id`,
    );
    home = cities.find((c) => cities.some((o) => o.id !== c.id && o.state_id === c.state_id))!;
    neighbour = cities.find((c) => c.id !== home.id && c.state_id === home.state_id)!;
    faraway = cities.find((c) => c.state_id !== home.state_id)!;
  });
  afterAll(() => t.close());

  async function spaRow(id: number): Promise<SpaRow> {
    const rows: SpaRow[] = await t.db.query(`SELECT * FROM spas WHERE id = $1`, [id]);
    return rows[0];
  }

  const spasDir = () => join(t.config.uploads.publicDir, 'spas');
  const storedImages = async () => (existsSync(spasDir()) ? (await readdir(spasDir())).sort() : []);

  describe('create', () => {
    it('makes the caller the owner, takes the state from the city and the slug from name and city', async () => {
      const tag = unique();
      const res = await t.http
        .post('/api/v1/spas')
        .set('Authorization', owner.auth)
        .send({
          name: `Lotus Café ${tag}`,
          cityId: home.id,
          description: 'Hot stones and quiet rooms.',
          address: '1 Main Street',
          website: 'https://lotus.example',
        })
        .expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(Number),
        slug: `lotus-cafe-${tag}-${home.slug}`,
        name: `Lotus Café ${tag}`,
        description: 'Hot stones and quiet rooms.',
        address: '1 Main Street',
        website: 'https://lotus.example',
        city: { id: home.id, name: home.name, slug: home.slug },
        state: { id: home.state_id },
        images: [],
        rating: 0,
        isVerified: false,
        isActive: true,
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(owner.email);
      expect(text).not.toContain('ownerId');

      const row = await spaRow(res.body.id);
      expect(row).toMatchObject({
        owner_id: owner.id,
        state_id: home.state_id,
        city_id: home.id,
        slug: res.body.slug,
        is_active: true,
      });
    });

    it('lets an admin create a spa they then own', async () => {
      const spa = await createSpa(t, admin, { cityId: faraway.id });
      expect((await spaRow(spa.id)).owner_id).toBe(admin.id);
    });

    it('refuses job seekers, anonymous callers, unknown cities and admin-only or foreign fields', async () => {
      const count = async () =>
        Number((await t.db.query(`SELECT count(*)::int AS n FROM spas`))[0].n);
      const before = await count();
      await t.http
        .post('/api/v1/spas')
        .set('Authorization', seeker.auth)
        .send({ name: 'Seeker Spa', cityId: home.id })
        .expect(403);
      await t.http.post('/api/v1/spas').send({ name: 'Anon Spa', cityId: home.id }).expect(401);
      const city = await t.http
        .post('/api/v1/spas')
        .set('Authorization', owner.auth)
        .send({ name: 'Nowhere Spa', cityId: 999999 })
        .expect(404);
      expect(city.body.code).toBe('CITY_NOT_FOUND');
      for (const extra of [{ rating: 5 }, { isVerified: true }, { ownerId: rival.id }]) {
        const res = await t.http
          .post('/api/v1/spas')
          .set('Authorization', owner.auth)
          .send({ name: 'Greedy Spa', cityId: home.id, ...extra })
          .expect(400);
        expect(res.body.message).toContain(Object.keys(extra)[0]);
      }
      const bad = await t.http
        .post('/api/v1/spas')
        .set('Authorization', owner.auth)
        .send({ name: 'X', cityId: 'abc', website: 'not a url' })
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(await count()).toBe(before);
    });

    it('gives 10 concurrent spas of one name 10 distinct slugs', async () => {
      const name = `Twin Spa ${unique()}`;
      const base = `${name.toLowerCase().replace(/ /g, '-')}-${home.slug}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.http
            .post('/api/v1/spas')
            .set('Authorization', owner.auth)
            .send({ name, cityId: home.id }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
      const slugs = results.map((r) => r.body.slug as string);
      expect(new Set(slugs).size).toBe(10);
      expect(slugs.filter((s) => s === base)).toHaveLength(1);
      for (const s of slugs) expect(s).toMatch(new RegExp(`^${base}(-[a-z0-9]{6})?$`));

      const rows: Array<{ slug: string }> = await t.db.query(
        `SELECT slug FROM spas WHERE name = $1`,
        [name],
      );
      expect(rows.map((r) => r.slug).sort()).toEqual([...slugs].sort());
    });
  });

  describe('update', () => {
    it('lets the owner change their fields but not the slug', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      const res = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Renamed Retreat', description: 'Now with a sauna.', website: null })
        .expect(200);
      expect(res.body).toMatchObject({
        id: spa.id,
        slug: spa.slug,
        name: 'Renamed Retreat',
        description: 'Now with a sauna.',
        website: null,
      });
      const row = await spaRow(spa.id);
      expect(row).toMatchObject({
        name: 'Renamed Retreat',
        description: 'Now with a sauna.',
        slug: spa.slug,
      });
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ slug: 'my-own-slug' })
        .expect(400);
      expect((await spaRow(spa.id)).slug).toBe(spa.slug);
    });

    it('keeps other employers, job seekers and owners setting moderation fields out', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      const before = await spaRow(spa.id);
      const rivalRes = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', rival.auth)
        .send({ name: 'Hijacked' })
        .expect(403);
      expect(rivalRes.body.code).toBe('NOT_SPA_OWNER');
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', seeker.auth)
        .send({ name: 'Hijacked' })
        .expect(403);
      for (const body of [{ rating: 5 }, { isVerified: true }, { isActive: true }]) {
        const res = await t.http
          .patch(`/api/v1/spas/${spa.id}`)
          .set('Authorization', owner.auth)
          .send(body)
          .expect(403);
        expect(res.body.code).toBe('ADMIN_ONLY_FIELD');
      }
      expect(await spaRow(spa.id)).toEqual(before);
      await t.http
        .patch('/api/v1/spas/999999')
        .set('Authorization', owner.auth)
        .send({ name: 'Ghost' })
        .expect(404);
    });

    it('lets an admin set rating and isVerified', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      const res = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', admin.auth)
        .send({ rating: 4.25, isVerified: true })
        .expect(200);
      expect(res.body).toMatchObject({ rating: 4.25, isVerified: true });
      const row = await spaRow(spa.id);
      expect(Number(row.rating)).toBe(4.25);
      expect(row.is_verified).toBe(true);
      expect(row.owner_id).toBe(owner.id);
      for (const rating of [5.5, -1, 4.123]) {
        await t.http
          .patch(`/api/v1/spas/${spa.id}`)
          .set('Authorization', admin.auth)
          .send({ rating })
          .expect(400);
      }
      expect(Number((await spaRow(spa.id)).rating)).toBe(4.25);
    });

    it('moves the spa’s jobs to the new city and state when the city changes', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      const jobs = [await createJob(t, owner, spa.id), await createJob(t, owner, spa.id)];
      const res = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ cityId: faraway.id })
        .expect(200);
      expect(res.body.city.id).toBe(faraway.id);
      expect(res.body.state.id).toBe(faraway.state_id);
      expect(await spaRow(spa.id)).toMatchObject({
        city_id: faraway.id,
        state_id: faraway.state_id,
      });
      const rows: Array<{ id: number; city_id: number; state_id: number }> = await t.db.query(
        `SELECT id, city_id, state_id FROM jobs WHERE spa_id = $1 ORDER BY id`,
        [spa.id],
      );
      expect(rows).toEqual(
        jobs.map((j) => ({ id: j.id, city_id: faraway.id, state_id: faraway.state_id })),
      );

      const ids = (body: { data: Array<{ id: number }> }) => body.data.map((j) => j.id);
      const there = await t.http
        .get('/api/v1/jobs')
        .query({ spaId: spa.id, cityId: faraway.id })
        .expect(200);
      expect(ids(there.body).sort()).toEqual(jobs.map((j) => j.id).sort());
      const before = await t.http
        .get('/api/v1/jobs')
        .query({ spaId: spa.id, stateId: home.state_id })
        .expect(200);
      expect(ids(before.body)).toEqual([]);
      const detail = await t.http.get(`/api/v1/jobs/${jobs[0].id}`).expect(200);
      expect(detail.body.city.id).toBe(faraway.id);

      const unknown = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ cityId: 999999 })
        .expect(404);
      expect(unknown.body.code).toBe('CITY_NOT_FOUND');
      expect((await spaRow(spa.id)).city_id).toBe(faraway.id);
    });
  });

  describe('delete', () => {
    it('is soft: the row stays inactive, and the spa and its jobs disappear publicly', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      const job = await createJob(t, owner, spa.id);
      await t.http.get(`/api/v1/spas/${spa.slug}`).expect(200);
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);

      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', rival.auth).expect(403);
      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', seeker.auth).expect(403);
      expect((await spaRow(spa.id)).is_active).toBe(true);

      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', owner.auth).expect(204);

      expect((await spaRow(spa.id)).is_active).toBe(false);
      const [jobRow] = await t.db.query(`SELECT is_active FROM jobs WHERE id = $1`, [job.id]);
      expect(jobRow).toBeDefined();

      const byId = await t.http.get(`/api/v1/spas/${spa.id}`).expect(404);
      expect(byId.body.code).toBe('SPA_NOT_FOUND');
      await t.http.get(`/api/v1/spas/${spa.slug}`).expect(404);
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);
      await t.http.get(`/api/v1/jobs/${job.slug}`).expect(404);
      const jobs = await t.http.get('/api/v1/jobs').query({ spaId: spa.id }).expect(200);
      expect(jobs.body.data).toEqual([]);
      const all = await t.http.get('/api/v1/jobs').query({ limit: 100 }).expect(200);
      expect(all.body.data.map((j: { id: number }) => j.id)).not.toContain(job.id);
      const spas = await t.http
        .get('/api/v1/spas')
        .query({ cityId: home.id, limit: 100 })
        .expect(200);
      expect(spas.body.data.map((s: { id: number }) => s.id)).not.toContain(spa.id);

      // the owner can no longer manage it; posting jobs on it is refused
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Back' })
        .expect(404);
      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', owner.auth).expect(404);
    });

    it('lets an admin delete anyone’s spa', async () => {
      const spa = await createSpa(t, owner, { cityId: home.id });
      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', admin.auth).expect(204);
      expect((await spaRow(spa.id)).is_active).toBe(false);
    });
  });

  describe('read', () => {
    it.each([
      ['newest', 'idx_spas_is_active'],
      ['rating', 'idx_spas_rating'],
    ])('the public %s list stays on %s (the index includes owner_listed)', async (sort, index) => {
      await createSpa(t, owner);
      const spy = vi.spyOn(PostgresQueryRunner.prototype, 'query');
      let calls: Array<readonly [string, unknown]>;
      try {
        await t.http.get('/api/v1/spas').query({ sort, limit: 5 }).expect(200);
        calls = spy.mock.calls.map((c) => [String(c[0]), c[1]] as const);
      } finally {
        spy.mockRestore();
      }
      const [sql, params] = calls.find(
        ([q]) => q.includes('FROM "spas"') && q.includes('ORDER BY'),
      )!;
      expect(sql).toContain('owner_listed');
      const runner = t.db.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('ANALYZE spas');
        await runner.startTransaction();
        // a table this small is cheaper to scan whole: only an index that fits may answer
        await runner.query('SET LOCAL enable_seqscan = off');
        await runner.query('SET LOCAL enable_sort = off');
        const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(
          `EXPLAIN ${sql}`,
          params as unknown[],
        );
        expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(index);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('finds an active spa by id and by slug, with the same body', async () => {
      const spa = await createSpa(t, owner, { cityId: neighbour.id, description: 'Mud baths.' });
      const byId = await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      const bySlug = await t.http.get(`/api/v1/spas/${spa.slug}`).expect(200);
      expect(bySlug.body).toEqual(byId.body);
      expect(byId.body).toMatchObject({
        id: spa.id,
        slug: spa.slug,
        description: 'Mud baths.',
        city: { id: neighbour.id },
        state: { id: neighbour.state_id },
      });
      expect(JSON.stringify(byId.body)).not.toContain(owner.email);
      await t.http.get('/api/v1/spas/999999').expect(404);
      await t.http.get('/api/v1/spas/no-such-spa-anywhere').expect(404);
      await t.http.get('/api/v1/spas/Not%20A%20Slug!').expect(404);
    });

    it('filters by state, city, minimum rating and full-text words', async () => {
      const tag = unique();
      const mk = async (cityId: number, name: string, description: string, rating: number) => {
        const spa = await createSpa(t, owner, { cityId, name: `${name} ${tag}`, description });
        await t.http
          .patch(`/api/v1/spas/${spa.id}`)
          .set('Authorization', admin.auth)
          .send({ rating })
          .expect(200);
        return spa.id;
      };
      const a = await mk(
        home.id,
        'Driftwood Hammam',
        'Eucalyptus steam rooms and cold plunges.',
        4.8,
      );
      const b = await mk(neighbour.id, 'Juniper Springs', 'Mineral pools under the pines.', 3.2);
      const c = await mk(faraway.id, 'Cedar Lodge', 'A quiet steam room by the lake.', 4.1);
      const gone = await mk(home.id, 'Hidden Hammam', 'Steam and silence.', 5);
      await t.http.delete(`/api/v1/spas/${gone}`).set('Authorization', owner.auth).expect(204);

      const list = async (query: Record<string, string | number>) => {
        const res = await t.http
          .get('/api/v1/spas')
          .query({ limit: 100, ...query })
          .expect(200);
        return res.body.data as SpaBody[];
      };
      const ids = (rows: SpaBody[]) => rows.map((r) => r.id);
      const mine = [a, b, c, gone];

      const byState = await list({ stateId: home.state_id });
      expect(byState.every((s) => s.state.id === home.state_id)).toBe(true);
      expect(
        ids(byState)
          .filter((id) => mine.includes(id))
          .sort(),
      ).toEqual([a, b].sort());

      const byCity = await list({ cityId: neighbour.id });
      expect(byCity.every((s) => s.city.id === neighbour.id)).toBe(true);
      expect(ids(byCity).filter((id) => mine.includes(id))).toEqual([b]);

      const rated = await list({ minRating: 4 });
      expect(rated.every((s) => s.rating >= 4)).toBe(true);
      expect(
        ids(rated)
          .filter((id) => mine.includes(id))
          .sort(),
      ).toEqual([a, c].sort());
      const topOnly = await list({ minRating: 4.5 });
      expect(ids(topOnly).filter((id) => mine.includes(id))).toEqual([a]);

      // stemmed words of the description ("rooms" ~ "room"), and of the name
      expect(ids(await list({ q: 'steam room' })).sort()).toEqual([a, c].sort());
      expect(ids(await list({ q: 'hammam' }))).toEqual([a]);
      expect(ids(await list({ q: 'steam -lake' }))).toEqual([a]);
      expect(ids(await list({ q: 'steam', stateId: faraway.state_id }))).toEqual([c]);
      expect(ids(await list({ q: 'mineral pines' }))).toEqual([b]);
      expect(await list({ q: 'nonexistentwordxyz' })).toEqual([]);
      // search syntax and SQL-looking text are words and operators, never a 4xx/5xx
      const either = await list({ q: `"${tag}" OR ' ; -- ` });
      expect(ids(either).sort()).toEqual([a, b, c].sort());
    });

    it.each([
      ['minRating=6', 'minRating'],
      ['minRating=high', 'minRating'],
      ['sort=cheapest', 'sort'],
      ['stateId=abc', 'stateId'],
      ['limit=0', 'limit'],
      ['cursor=forged.cursor', 'cursor'],
      ['owner=1', 'owner'],
    ])('refuses %s with a 400 naming %s', async (query, field) => {
      const res = await t.http.get(`/api/v1/spas?${query}`).expect(400);
      expect(res.body.message).toContain(field);
    });

    async function walk(sort: 'newest' | 'rating', limit: number, during?: () => Promise<void>) {
      const seen: SpaBody[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { data: SpaBody[]; nextCursor: string | null } } = await t.http
          .get('/api/v1/spas')
          .query({ sort, limit, ...(cursor ? { cursor } : {}) })
          .expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        seen.push(...res.body.data);
        cursor = res.body.nextCursor;
        if (pages++ === 0 && during) await during();
      } while (cursor && pages < 200);
      return seen;
    }

    it('walks the newest order to the end, each active spa once, unshaken by inserts meanwhile', async () => {
      let inserted = 0;
      const seen = await walk('newest', 3, async () => {
        inserted = (await createSpa(t, owner, { cityId: home.id })).id;
      });
      const ids = seen.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(inserted);
      const expected: Array<{ id: number }> = await t.db.query(
        `SELECT id FROM spas WHERE is_active AND id <> $1 ORDER BY created_at DESC, id DESC`,
        [inserted],
      );
      expect(ids).toEqual(expected.map((r) => r.id));
      expect(ids.length).toBeGreaterThan(6);
      for (let i = 1; i < seen.length; i++) {
        expect(Date.parse(seen[i - 1].createdAt)).toBeGreaterThanOrEqual(
          Date.parse(seen[i].createdAt),
        );
      }
      // the newcomer is on the first page of a fresh walk
      const first = await t.http.get('/api/v1/spas?sort=newest&limit=1').expect(200);
      expect(first.body.data[0].id).toBe(inserted);
    });

    it('walks the rating order to the end, best first, each active spa once', async () => {
      // ties on rating make the id tie-breaker matter
      const tied = [await createSpa(t, owner), await createSpa(t, owner)];
      for (const s of tied) {
        await t.http
          .patch(`/api/v1/spas/${s.id}`)
          .set('Authorization', admin.auth)
          .send({ rating: 3.5 })
          .expect(200);
      }
      const seen = await walk('rating', 2);
      const ids = seen.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      const expected: Array<{ id: number }> = await t.db.query(
        `SELECT id FROM spas WHERE is_active ORDER BY rating DESC, id DESC`,
      );
      expect(ids).toEqual(expected.map((r) => r.id));
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i - 1].rating).toBeGreaterThanOrEqual(seen[i].rating);
      }
      expect(new Set(seen.map((s) => s.rating)).size).toBeGreaterThan(2);
    });

    it('refuses a cursor of one order in the other', async () => {
      const res = await t.http.get('/api/v1/spas?sort=newest&limit=1').expect(200);
      expect(res.body.nextCursor).toEqual(expect.any(String));
      const mixed = await t.http
        .get('/api/v1/spas')
        .query({ sort: 'rating', cursor: res.body.nextCursor })
        .expect(400);
      expect(mixed.body.code).toBe('INVALID_CURSOR');
    });
  });

  describe('images', () => {
    it.each([
      ['png', FILES.png, 'image/png'],
      ['jpg', FILES.jpeg, 'image/jpeg'],
      ['webp', FILES.webp, 'image/webp'],
    ] as const)(
      'stores a %s under a random name, serves it cacheably and adds it to the spa',
      async (ext, bytes, mime) => {
        const spa = await createSpa(t, owner);
        const res = await t.http
          .post(`/api/v1/spas/${spa.id}/images`)
          .set('Authorization', owner.auth)
          .attach('image', bytes, {
            filename: 'holiday photo.bin',
            contentType: 'application/octet-stream',
          })
          .expect(201);
        expect(res.body).toEqual({ url: expect.any(String) });
        const url = res.body.url as string;
        expect(url).toMatch(new RegExp(`^/uploads/spas/[0-9a-f-]{36}\\.${ext}$`));
        expect(url).not.toContain('holiday');

        const onDisk = join(spasDir(), url.split('/').pop()!);
        expect(await readFile(onDisk)).toEqual(bytes);

        const served = await t.http.get(url).buffer(true).parse(binary).expect(200);
        expect(served.headers['cache-control']).toBe('public, max-age=2592000, immutable');
        expect(served.headers['content-type']).toContain(mime);
        expect(Buffer.compare(served.body as Buffer, bytes)).toBe(0);

        expect((await spaRow(spa.id)).images).toEqual([url]);
        const pub = await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
        expect(pub.body.images).toEqual([url]);

        // the same bytes again get another name and are appended
        const again = await t.http
          .post(`/api/v1/spas/${spa.id}/images`)
          .set('Authorization', owner.auth)
          .attach('image', bytes, 'holiday.png')
          .expect(201);
        expect(again.body.url).not.toBe(url);
        expect((await spaRow(spa.id)).images).toEqual([url, again.body.url]);
      },
    );

    it.each([
      ['a text file named .jpg', 'notes.jpg', 'image/jpeg'],
      ['a text file sent as image/png', 'notes.png', 'image/png'],
    ])('refuses %s with 415 and stores nothing', async (_, filename, contentType) => {
      const spa = await createSpa(t, owner);
      const before = await storedImages();
      const res = await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', FILES.text, { filename, contentType })
        .expect(415);
      expect(res.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_IMAGE_TYPE' });
      expect(JSON.stringify(res.body)).not.toContain(t.config.uploads.publicDir);
      expect(await storedImages()).toEqual(before);
      expect((await spaRow(spa.id)).images).toEqual([]);
    });

    it('refuses a PDF: only JPEG, PNG and WebP are images here', async () => {
      const spa = await createSpa(t, owner);
      const before = await storedImages();
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', FILES.pdf, { filename: 'x.png', contentType: 'image/png' })
        .expect(415);
      expect(await storedImages()).toEqual(before);
    });

    it('answers 400 when the file is missing, empty or in another field', async () => {
      const spa = await createSpa(t, owner);
      const before = await storedImages();
      const none = await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .field('caption', 'no file here')
        .expect(400);
      expect(none.body.code).toBe('FILE_REQUIRED');
      // a JSON body is not what the route consumes (multipart only)
      const json = await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .send({})
        .expect(415);
      expect(json.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', Buffer.alloc(0), 'empty.png')
        .expect(400);
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('photo', FILES.png, 'a.png')
        .expect(400);
      expect(await storedImages()).toEqual(before);
      expect((await spaRow(spa.id)).images).toEqual([]);
    });

    it('refuses uploads to someone else’s or a deleted spa, writing no file', async () => {
      const spa = await createSpa(t, owner);
      const before = await storedImages();
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', rival.auth)
        .attach('image', FILES.png, 'a.png')
        .expect(403);
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', seeker.auth)
        .attach('image', FILES.png, 'a.png')
        .expect(403);
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .attach('image', FILES.png, 'a.png')
        .expect(401);
      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', owner.auth).expect(204);
      await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', FILES.png, 'a.png')
        .expect(404);
      expect(await storedImages()).toEqual(before);
      expect((await spaRow(spa.id)).images).toEqual([]);
    });

    it('refuses a 21st image with 409 and removes the file it stored', async () => {
      const spa = await createSpa(t, owner);
      const full = Array.from({ length: 20 }, (_, i) => `/uploads/spas/placeholder-${i}.png`);
      await t.db.query(`UPDATE spas SET images = $1 WHERE id = $2`, [full, spa.id]);
      const before = await storedImages();
      const res = await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', FILES.png, 'a.png')
        .expect(409);
      expect(res.body.code).toBe('TOO_MANY_IMAGES');
      expect(await storedImages()).toEqual(before);
      expect((await spaRow(spa.id)).images).toEqual(full);
    });

    it('lets only as many of several racing uploads in as there is room for', async () => {
      const spa = await createSpa(t, owner);
      const almost = Array.from({ length: 18 }, (_, i) => `/uploads/spas/placeholder-${i}.png`);
      await t.db.query(`UPDATE spas SET images = $1 WHERE id = $2`, [almost, spa.id]);
      const before = await storedImages();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.http
            .post(`/api/v1/spas/${spa.id}/images`)
            .set('Authorization', owner.auth)
            .attach('image', FILES.webp, 'a.webp'),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
      const urls = results.filter((r) => r.status === 201).map((r) => r.body.url as string);
      const images = (await spaRow(spa.id)).images;
      expect(images).toHaveLength(20);
      expect(images.slice(18).sort()).toEqual([...urls].sort());
      const added = (await storedImages()).filter((f) => !before.includes(f));
      expect(added.sort()).toEqual(urls.map((u) => u.split('/').pop()).sort());
    });

    it('does not serve what is not there, nor files beside the upload folder', async () => {
      await t.http.get('/uploads/spas/00000000-0000-0000-0000-000000000000.png').expect(404);
      await writeFile(join(t.config.uploads.publicDir, '..', 'outside.txt'), 'top secret');
      for (const path of ['/uploads/%2e%2e/outside.txt', '/uploads/..%2foutside.txt']) {
        const res = await t.http.get(path);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.text ?? '').not.toContain('top secret');
      }
    });
  });

  describe('upload size limit', () => {
    let small: TestApp;

    beforeAll(async () => {
      small = await createTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    });
    afterAll(() => small?.close());

    it('refuses an image over MAX_UPLOAD_MB with 413 and stores nothing', async () => {
      const employer = await createUser(small, 'employer');
      const spa = await createSpa(small, employer);
      const dir = join(small.config.uploads.publicDir, 'spas');
      const big = Buffer.concat([FILES.png, Buffer.alloc(1024 * 1024 + 1)]);
      const res = await small.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', employer.auth)
        .attach('image', big, 'big.png')
        .expect(413);
      expect(res.body).toMatchObject({
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        requestId: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain(small.config.uploads.publicDir);
      expect(existsSync(dir) ? await readdir(dir) : []).toEqual([]);
      const [row] = await small.db.query(`SELECT images FROM spas WHERE id = $1`, [spa.id]);
      expect(row.images).toEqual([]);

      // just under the limit is fine
      const fits = Buffer.concat([FILES.png, Buffer.alloc(1024 * 1024 - FILES.png.length - 1)]);
      const ok = await small.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', employer.auth)
        .attach('image', fits, 'fits.png')
        .expect(201);
      expect(await readdir(dir)).toEqual([ok.body.url.split('/').pop()]);
    });
  });
});

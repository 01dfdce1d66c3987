import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, type TestUser } from '../support/factories.js';

interface Named {
  id: number;
  name: string;
  slug: string;
  isActive: boolean;
}

describe('reference data: admin writes', () => {
  let t: TestApp;
  let admin: TestUser;
  let employer: TestUser;
  let seeker: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    [admin, employer, seeker] = await Promise.all([
      createUser(t, 'admin'),
      createUser(t, 'employer'),
      createUser(t, 'job_seeker'),
    ]);
  });
  afterAll(() => t.close());

  const as = (user: TestUser) => ({
    post: (path: string, body: object) =>
      t.http.post(`/api/v1${path}`).set('Authorization', user.auth).send(body),
    patch: (path: string, body: object) =>
      t.http.patch(`/api/v1${path}`).set('Authorization', user.auth).send(body),
  });
  const publicList = async (path: string): Promise<Named[]> => {
    const all: Named[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Named[]; nextCursor: string | null } } = await t.http
        .get(`/api/v1${path}`)
        .query(cursor ? { limit: 100, cursor } : path === '/cities' ? { limit: 100 } : {})
        .expect(200);
      all.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    return all;
  };

  it('lets only admins write: 401 without a token, 403 for employers and seekers, nothing stored', async () => {
    const before = await t.db.query(
      `SELECT (SELECT count(*) FROM states) s, (SELECT count(*) FROM cities) c, (SELECT count(*) FROM job_categories) j`,
    );
    for (const [path, body] of [
      ['/states', { code: 'ZZ', name: 'Zedland' }],
      ['/cities', { stateId: 1, name: 'Zed City' }],
      ['/job-categories', { name: 'Zed Therapist' }],
    ] as const) {
      await t.http.post(`/api/v1${path}`).send(body).expect(401);
      for (const user of [employer, seeker]) {
        const res = await as(user).post(path, body).expect(403);
        expect(res.body.code).toBe('FORBIDDEN_ROLE');
      }
    }
    await as(employer).patch('/states/1', { name: 'Renamed' }).expect(403);
    await as(employer).patch('/cities/1', { name: 'Renamed' }).expect(403);
    await as(seeker).patch('/job-categories/1', { name: 'Renamed' }).expect(403);
    const after = await t.db.query(
      `SELECT (SELECT count(*) FROM states) s, (SELECT count(*) FROM cities) c, (SELECT count(*) FROM job_categories) j`,
    );
    expect(after).toEqual(before);
    const [row] = await t.db.query(`SELECT name FROM states WHERE id = 1`);
    expect(row.name).not.toBe('Renamed');
  });

  describe('states', () => {
    it('creates a state (slug from the name), listed at once', async () => {
      await publicList('/states'); // warm the cache: the write must invalidate it
      const res = await as(admin).post('/states', { code: 'PR', name: 'Puerto Rico' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        code: 'PR',
        name: 'Puerto Rico',
        slug: 'puerto-rico',
        isActive: true,
      });
      const [row] = await t.db.query(`SELECT * FROM states WHERE id = $1`, [res.body.id]);
      expect(row).toMatchObject({ code: 'PR', name: 'Puerto Rico', is_active: true });
      expect((await publicList('/states')).map((s) => s.name)).toContain('Puerto Rico');
    });

    it('refuses a taken code, name or slug with 409 naming it', async () => {
      for (const [body, field] of [
        [{ code: 'CA', name: 'New California' }, 'code'],
        [{ code: 'QQ', name: 'California' }, 'name'],
        [{ code: 'QQ', name: 'Cali', slug: 'california' }, 'slug'],
      ] as const) {
        const res = await as(admin).post('/states', body).expect(409);
        expect(res.body.code).toBe('NAME_TAKEN');
        expect(res.body.message).toMatch(new RegExp(`^${field}:`));
      }
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM states WHERE code = 'QQ'`);
      expect(n).toBe(0);
    });

    it('renames a state, keeping its slug, and the spas that embed it show the new name', async () => {
      const [city] = await t.db.query(
        `SELECT c.id, c.state_id FROM cities c JOIN states s ON s.id = c.state_id WHERE s.code = 'VT' LIMIT 1`,
      );
      const spa = await createSpa(t, employer, { cityId: city.id });
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200); // cached
      const res = await as(admin)
        .patch(`/states/${city.state_id}`, { name: 'Green Mountain State' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Green Mountain State', slug: 'vermont' });
      const after = await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      expect(after.body.state.name).toBe('Green Mountain State');
      const conflict = await as(admin).patch(`/states/${city.state_id}`, { name: 'Texas' });
      expect(conflict.status).toBe(409);
      await as(admin).patch('/states/999999', { name: 'Nowhere' }).expect(404);
    });

    it('retires a state: it and its cities leave the lists and new spas, existing spas keep it', async () => {
      const [city] = await t.db.query(
        `SELECT c.id, c.state_id FROM cities c JOIN states s ON s.id = c.state_id WHERE s.code = 'WY' LIMIT 1`,
      );
      const spa = await createSpa(t, employer, { cityId: city.id });
      await publicList('/cities');
      await as(admin).patch(`/states/${city.state_id}`, { isActive: false }).expect(200);

      expect((await publicList('/states')).map((s) => s.id)).not.toContain(city.state_id);
      expect((await publicList('/cities')).map((c) => c.id)).not.toContain(city.id);
      const listed = await t.http.get(`/api/v1/cities?stateId=${city.state_id}`).expect(404);
      expect(listed.body.code).toBe('STATE_NOT_FOUND');
      const refused = await as(employer)
        .post('/spas', { name: 'Too Late Spa', cityId: city.id })
        .expect(404);
      expect(refused.body.code).toBe('CITY_NOT_FOUND');
      await as(admin).post('/cities', { stateId: city.state_id, name: 'New Town' }).expect(404);

      const kept = await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      expect(kept.body.city.id).toBe(city.id);
      // a job on the existing spa still takes the spa's location
      await createJob(t, employer, spa.id);

      await as(admin).patch(`/states/${city.state_id}`, { isActive: true }).expect(200);
      expect((await publicList('/cities')).map((c) => c.id)).toContain(city.id);
    });
  });

  describe('cities', () => {
    it('creates a city in a state, unique by name and slug within it', async () => {
      const [ca] = await t.db.query(`SELECT id FROM states WHERE code = 'CA'`);
      await publicList('/cities');
      const res = await as(admin).post('/cities', { stateId: ca.id, name: 'Ojai' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        name: 'Ojai',
        slug: 'ojai',
        stateId: ca.id,
        isActive: true,
      });
      const found = await t.http.get(`/api/v1/cities?stateId=${ca.id}&q=oja`).expect(200);
      expect(found.body.data.map((c: Named) => c.id)).toEqual([res.body.id]);
      await createSpa(t, employer, { cityId: res.body.id });

      const dup = await as(admin).post('/cities', { stateId: ca.id, name: 'Ojai' }).expect(409);
      expect(dup.body.message).toMatch(/^name:/);
      const dupSlug = await as(admin)
        .post('/cities', { stateId: ca.id, name: 'Ojai Valley', slug: 'ojai' })
        .expect(409);
      expect(dupSlug.body.message).toMatch(/^slug:/);
      // the same name in another state is another city
      const [nv] = await t.db.query(`SELECT id FROM states WHERE code = 'NV'`);
      await as(admin).post('/cities', { stateId: nv.id, name: 'Ojai' }).expect(201);
      await as(admin).post('/cities', { stateId: 999999, name: 'Nowhere' }).expect(404);
    });

    it('renames a city (slug kept) and the jobs that embed it show the new name', async () => {
      const [row] = await t.db.query(`SELECT id FROM cities ORDER BY id DESC LIMIT 1`);
      const spa = await createSpa(t, employer, { cityId: row.id });
      const job = await createJob(t, employer, spa.id);
      const before = await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      const res = await as(admin).patch(`/cities/${row.id}`, { name: 'Renamed Town' }).expect(200);
      expect(res.body.slug).toBe(before.body.city.slug);
      const after = await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      expect(after.body.city.name).toBe('Renamed Town');
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.city.name).toBe(
        'Renamed Town',
      );
      // a city stays in its state
      await as(admin).patch(`/cities/${row.id}`, { stateId: 1 }).expect(400);
      await as(admin).patch('/cities/999999', { name: 'x' }).expect(404);
    });

    it('retires a city: out of the list and of new spas, existing spas keep it', async () => {
      const [row] = await t.db.query(
        `SELECT c.id FROM cities c JOIN states s ON s.id = c.state_id WHERE s.code = 'OR' ORDER BY c.id LIMIT 1`,
      );
      const spa = await createSpa(t, employer, { cityId: row.id });
      const other = await createSpa(t, employer);
      await publicList('/cities');
      const res = await as(admin).patch(`/cities/${row.id}`, { isActive: false }).expect(200);
      expect(res.body.isActive).toBe(false);
      const [stored] = await t.db.query(`SELECT is_active FROM cities WHERE id = $1`, [row.id]);
      expect(stored.is_active).toBe(false);

      expect((await publicList('/cities')).map((c) => c.id)).not.toContain(row.id);
      await as(employer).post('/spas', { name: 'Retired City Spa', cityId: row.id }).expect(404);
      // moving another spa there is refused too; the spa already there keeps it
      await as(employer).patch(`/spas/${other.id}`, { cityId: row.id }).expect(404);
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.city.id).toBe(row.id);
      await as(employer).patch(`/spas/${spa.id}`, { name: 'Still Here Spa' }).expect(200);
      const [kept] = await t.db.query(`SELECT city_id FROM spas WHERE id = $1`, [spa.id]);
      expect(kept.city_id).toBe(row.id);
    });
  });

  describe('job categories', () => {
    it('creates, renames and retires a category; jobs keep a retired one, new jobs cannot use it', async () => {
      await publicList('/job-categories');
      const created = await as(admin)
        .post('/job-categories', { name: 'Float Therapist', description: 'Float tanks' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        name: 'Float Therapist',
        slug: 'float-therapist',
        description: 'Float tanks',
        isActive: true,
      });
      const id = created.body.id as number;
      expect((await publicList('/job-categories')).map((c) => c.id)).toContain(id);
      const dup = await as(admin).post('/job-categories', { name: 'float therapist' }).expect(409);
      expect(dup.body).toMatchObject({ code: 'NAME_TAKEN' });

      const spa = await createSpa(t, employer);
      const job = await createJob(t, employer, spa.id, { categoryId: id });
      await as(admin).patch(`/job-categories/${id}`, { name: 'Floatation Therapist' }).expect(200);
      expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(200)).body.category.name).toBe(
        'Floatation Therapist',
      );

      await as(admin).patch(`/job-categories/${id}`, { isActive: false }).expect(200);
      expect((await publicList('/job-categories')).map((c) => c.id)).not.toContain(id);
      const refused = await as(employer).post('/jobs', {
        spaId: spa.id,
        categoryId: id,
        title: 'Another Float Therapist',
        description: 'Guide guests through their first float in our quiet float suite.',
      });
      expect(refused.body).toMatchObject({ statusCode: 404, code: 'CATEGORY_NOT_FOUND' });
      const kept = await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      expect(kept.body.category.id).toBe(id);
      const [row] = await t.db.query(`SELECT category_id FROM jobs WHERE id = $1`, [job.id]);
      expect(row.category_id).toBe(id);
      await as(admin).patch('/job-categories/999999', { name: 'Nothing Here' }).expect(404);
      await as(admin).patch(`/job-categories/${id}`, { name: null }).expect(400);
    });
  });
});

import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import { JobsSearchService } from '../../src/jobs/jobs-search.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  categoryId,
  createJob,
  createSpa,
  createUser,
  type Place,
  type TestUser,
} from '../support/factories.js';

type Query = Record<string, string | number | boolean>;

interface Page {
  data: Array<{ id: number; [k: string]: unknown }>;
  nextCursor: string | null;
}

/** What the test knows about each job it created, to predict every list. */
interface Known {
  id: number;
  spaId: number;
  cityId: number;
  stateId: number;
  categoryId: number;
  employmentType: string;
  isFeatured: boolean;
  salaryMin: number | null;
  createdAt: string;
  viewCount: number;
  open: boolean;
}

const TYPES = ['full_time', 'part_time', 'contract', 'temporary', 'internship'];
const TITLES = [
  'Spa Receptionist',
  'Nail Technician',
  'Esthetician',
  'Yoga Instructor',
  'Spa Concierge',
  'Wellness Coordinator',
];
const PLAIN_DESCRIPTION = 'Welcome every guest warmly and keep our day spa calm and on time.';

const ORDERS = {
  newest: (a: Known, b: Known) =>
    a.createdAt === b.createdAt ? b.id - a.id : a.createdAt < b.createdAt ? 1 : -1,
  popular: (a: Known, b: Known) => b.viewCount - a.viewCount || b.id - a.id,
  salary: (a: Known, b: Known) => (b.salaryMin ?? 0) - (a.salaryMin ?? 0) || b.id - a.id,
};
type Sort = keyof typeof ORDERS;

async function page(t: TestApp, query: Query, cursor: string | null): Promise<Page> {
  const res = await t.http
    .get('/api/v1/jobs')
    .query({ ...query, ...(cursor ? { cursor } : {}) })
    .expect(200);
  return res.body as Page;
}

/** Every id of a list, page by page; every page but the last is full. */
async function walk(t: TestApp, query: Query): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const p = await page(t, query, cursor);
    if (p.nextCursor && typeof query.limit === 'number') expect(p.data).toHaveLength(query.limit);
    ids.push(...p.data.map((j) => j.id));
    cursor = p.nextCursor;
  } while (cursor);
  return ids;
}

describe('job lists: filters, sorts, pages, search', () => {
  let t: TestApp;
  let employer: TestUser;
  let rival: TestUser;
  let admin: TestUser;
  /** cityA1 and cityA2 share a state; cityB is elsewhere. */
  let places: { a1: Place; a2: Place; b: Place };
  let spas: Array<{ id: number; place: Place; owner: TestUser }>;
  let categories: number[];
  const known: Known[] = [];
  const search: Record<'shiatsu' | 'desk' | 'massage', number> = {
    shiatsu: 0,
    desk: 0,
    massage: 0,
  };

  const open = () => known.filter((j) => j.open);
  const expected = (pred: (j: Known) => boolean, sort: Sort = 'newest') =>
    open()
      .filter(pred)
      .sort(ORDERS[sort])
      .map((j) => j.id);

  async function post(
    spa: { id: number; place: Place; owner: TestUser },
    fields: Record<string, unknown>,
    by: TestUser = spa.owner,
  ): Promise<Known> {
    const job = await createJob(t, by, spa.id, fields);
    const entry: Known = {
      id: job.id,
      spaId: spa.id,
      cityId: spa.place.cityId,
      stateId: spa.place.stateId,
      categoryId: (fields.categoryId as number | undefined) ?? categories[0],
      employmentType: (fields.employmentType as string | undefined) ?? 'full_time',
      isFeatured: fields.isFeatured === true,
      salaryMin: (fields.salaryMin as number | null | undefined) ?? null,
      createdAt: job.createdAt as string,
      viewCount: 0,
      open: true,
    };
    known.push(entry);
    return entry;
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { VIEW_FLUSH_INTERVAL_MS: '600000' } });
    employer = await createUser(t, 'employer');
    rival = await createUser(t, 'employer');
    admin = await createUser(t, 'admin');

    const rows: Array<{ id: number; state_id: number; name: string }> = await t.db.query(
      `SELECT id, state_id, name FROM cities ORDER BY id`,
    );
    const toPlace = (r: (typeof rows)[number]): Place => ({
      cityId: r.id,
      stateId: r.state_id,
      cityName: r.name,
    });
    const a1 = rows[0];
    const a2 = rows.find((r) => r.state_id === a1.state_id && r.id !== a1.id)!;
    const b = rows.find((r) => r.state_id !== a1.state_id)!;
    places = { a1: toPlace(a1), a2: toPlace(a2), b: toPlace(b) };
    categories = [
      await categoryId(t, 0),
      await categoryId(t, 1),
      await categoryId(t, 2),
      await categoryId(t, 3),
    ];

    const spaAt = async (owner: TestUser, place: Place) => ({
      id: (await createSpa(t, owner, { cityId: place.cityId })).id,
      place,
      owner,
    });
    // two spas in one city, so that spaId and cityId filters differ
    spas = [
      await spaAt(employer, places.a1),
      await spaAt(employer, places.a1),
      await spaAt(rival, places.a2),
      await spaAt(rival, places.b),
    ];

    for (let i = 0; i < 60; i++) {
      const salaryMin = i % 6 === 0 ? null : 30_000 + (i % 5) * 10_000;
      const featured = i % 7 === 3;
      await post(
        spas[i % 4],
        {
          title: TITLES[i % TITLES.length],
          description: PLAIN_DESCRIPTION,
          categoryId: categories[Math.floor(i / 4) % 3],
          employmentType: TYPES[i % 5],
          salaryMin,
          salaryMax: salaryMin === null || i % 4 === 1 ? null : salaryMin + 15_000,
          ...(featured ? { isFeatured: true } : {}),
        },
        featured ? admin : undefined,
      );
    }

    search.shiatsu = (
      await post(spas[2], {
        title: 'Shiatsu Therapists Wanted',
        description: 'Experienced bodywork professionals for our quiet treatment rooms.',
        categoryId: categories[3],
        salaryMin: 45_000,
      })
    ).id;
    search.desk = (
      await post(spas[0], {
        title: 'Front Desk Coordinator',
        description: 'Greet guests, answer calls and book reflexology sessions for our clients.',
        categoryId: categories[3],
      })
    ).id;
    search.massage = (
      await post(spas[3], {
        title: 'Licensed Massage Therapist',
        description: 'Deliver relaxing massage treatments to our guests in a calm day spa.',
        categoryId: categories[3],
        employmentType: 'part_time',
      })
    ).id;

    // Jobs that match many filters but must never be listed: closed, expired, on a closed spa.
    const closed = await post(spas[0], {
      title: 'Shiatsu Therapist',
      description: 'A closed posting for shiatsu and reflexology work.',
      categoryId: categories[0],
      salaryMin: 90_000,
    });
    await t.http
      .delete(`/api/v1/jobs/${closed.id}`)
      .set('Authorization', employer.auth)
      .expect(204);
    closed.open = false;
    const expired = await post(spas[2], {
      title: 'Reflexology Therapist',
      description: 'An expired posting for shiatsu and reflexology work.',
      categoryId: categories[0],
      salaryMin: 95_000,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await t.db.query(`UPDATE jobs SET expires_at = now() - interval '1 hour' WHERE id = $1`, [
      expired.id,
    ]);
    expired.open = false;
    const dead = await spaAt(rival, places.a1);
    const onDead = [
      await post(dead, {
        title: 'Shiatsu Massage Therapist',
        description: 'Posted on a spa that closes: reflexology and shiatsu.',
        categoryId: categories[1],
        salaryMin: 99_000,
      }),
      await post(dead, { description: PLAIN_DESCRIPTION, categoryId: categories[0] }, admin),
    ];
    await t.http.delete(`/api/v1/spas/${dead.id}`).set('Authorization', rival.auth).expect(204);
    for (const j of onDead) j.open = false;

    // view counts with many ties, so that the id breaks them
    await t.db.query(`UPDATE jobs SET view_count = (id * 37) % 11`);
    const counts: Array<{ id: number; view_count: number }> = await t.db.query(
      `SELECT id, view_count FROM jobs`,
    );
    for (const { id, view_count } of counts) known.find((j) => j.id === id)!.viewCount = view_count;
  });
  afterAll(() => t.close());

  it('lists every open job, and only those', async () => {
    expect(open().length).toBeGreaterThanOrEqual(60);
    expect(await walk(t, { limit: 100 })).toEqual(expected(() => true));
    const all = await walk(t, {});
    expect(all).toHaveLength(open().length);
  });

  describe('filters', () => {
    const cases: Array<[string, () => Query, (j: Known) => boolean]> = [
      ['stateId', () => ({ stateId: places.a1.stateId }), (j) => j.stateId === places.a1.stateId],
      ['cityId', () => ({ cityId: places.a1.cityId }), (j) => j.cityId === places.a1.cityId],
      ['spaId', () => ({ spaId: spas[1].id }), (j) => j.spaId === spas[1].id],
      ['categoryId', () => ({ categoryId: categories[1] }), (j) => j.categoryId === categories[1]],
      [
        'employmentType',
        () => ({ employmentType: 'contract' }),
        (j) => j.employmentType === 'contract',
      ],
      ['featured=true', () => ({ featured: 'true' }), (j) => j.isFeatured],
      ['featured=false', () => ({ featured: 'false' }), (j) => !j.isFeatured],
      [
        'salaryMin',
        () => ({ salaryMin: 50_000 }),
        (j) => j.salaryMin !== null && j.salaryMin >= 50_000,
      ],
      [
        'several at once',
        () => ({
          stateId: places.a1.stateId,
          categoryId: categories[0],
          employmentType: 'part_time',
        }),
        (j) =>
          j.stateId === places.a1.stateId &&
          j.categoryId === categories[0] &&
          j.employmentType === 'part_time',
      ],
    ];

    it.each(cases)('%s narrows the list to the jobs that match', async (_name, query, pred) => {
      const want = expected(pred);
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(open().length);
      expect(await walk(t, { ...query(), limit: 7 })).toEqual(want);
    });

    it('salaryMin leaves out jobs without a salary', async () => {
      const ids = await walk(t, { salaryMin: 0, limit: 100 });
      expect(ids).toEqual(expected((j) => j.salaryMin !== null));
      expect(ids.length).toBeLessThan(open().length);
    });

    it('finds nothing for a place, spa or category without open jobs', async () => {
      const [empty] = await t.db.query(
        `SELECT id FROM cities WHERE state_id <> $1 AND id <> $2 ORDER BY id LIMIT 1`,
        [places.a1.stateId, places.b.cityId],
      );
      expect(await walk(t, { cityId: empty.id })).toEqual([]);
      expect(await walk(t, { spaId: 999_999 })).toEqual([]);
      expect(await walk(t, { employmentType: 'internship', categoryId: categories[3] })).toEqual(
        [],
      );
    });
  });

  describe('sorts and pages', () => {
    it.each(['newest', 'popular', 'salary'] as const)(
      'sort=%s orders every open job and walks them exactly once, 7 at a time',
      async (sort) => {
        const ids = await walk(t, { sort, limit: 7 });
        expect(ids).toEqual(expected(() => true, sort));
        expect(new Set(ids).size).toBe(ids.length);
      },
    );

    it('combines a sort with a filter', async () => {
      const query = { sort: 'salary', stateId: places.a1.stateId, limit: 7 };
      expect(await walk(t, query)).toEqual(
        expected((j) => j.stateId === places.a1.stateId, 'salary'),
      );
      const popular = { sort: 'popular', categoryId: categories[2], limit: 3 };
      expect(await walk(t, popular)).toEqual(
        expected((j) => j.categoryId === categories[2], 'popular'),
      );
    });

    it('puts jobs without a salary last when sorting by salary', async () => {
      const ids = await walk(t, { sort: 'salary', limit: 100 });
      const unpaid = new Set(
        open()
          .filter((j) => j.salaryMin === null)
          .map((j) => j.id),
      );
      const tail = ids.slice(ids.length - unpaid.size);
      expect(new Set(tail)).toEqual(unpaid);
      expect(tail).toEqual([...tail].sort((a, b) => b - a));
    });

    it('refuses a cursor from another sort order, or one that was tampered with', async () => {
      const popular = await page(t, { sort: 'popular', limit: 7 }, null);
      const salary = await page(t, { sort: 'salary', limit: 7 }, null);
      const newest = await page(t, { limit: 7 }, null);
      for (const [sort, cursor] of [
        ['newest', popular.nextCursor],
        ['salary', popular.nextCursor],
        ['popular', salary.nextCursor],
        ['popular', newest.nextCursor],
        ['salary', newest.nextCursor],
      ] as const) {
        expect(cursor).toEqual(expect.any(String));
        const res = await t.http.get('/api/v1/jobs').query({ sort, cursor, limit: 7 }).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_CURSOR' });
        expect(res.body.message).toContain('cursor');
      }
      const [body, mac] = newest.nextCursor!.split('.');
      const forged = Buffer.from(
        JSON.stringify({ o: 'newest', v: ['2999-01-01T00:00:00.000Z', 1] }),
      ).toString('base64url');
      await t.http
        .get('/api/v1/jobs')
        .query({ cursor: `${forged}.${mac}` })
        .expect(400);
      await t.http
        .get('/api/v1/jobs')
        .query({ cursor: `${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}` })
        .expect(400);
      await t.http.get('/api/v1/jobs').query({ cursor: body }).expect(400);
    });

    it.each([
      [
        'newest',
        () => ({ stateId: places.a1.stateId }),
        (j: Known) => j.stateId === places.a1.stateId,
      ],
      [
        'salary',
        () => ({ categoryId: categories[0] }),
        (j: Known) => j.categoryId === categories[0],
      ],
    ] as const)(
      'sort=%s: a walk during concurrent inserts sees every earlier job exactly once',
      async (sort, filter, pred) => {
        const query = { ...filter(), sort, limit: 7 };
        const before = await walk(t, query);
        expect(before).toEqual(expected(pred, sort));
        expect(before.length).toBeGreaterThan(14);

        const seen: number[] = [];
        const inserted = new Set<number>();
        let cursor: string | null = null;
        let round = 0;
        do {
          // two matching jobs are posted while each page is being read
          const salaries = [100_000 - round * 7_000, 20_000 + round * 9_000];
          const [p, ...created]: [Page, ...Known[]] = await Promise.all([
            page(t, query, cursor),
            ...salaries.map((salaryMin) =>
              post(spas[round % 2], {
                title: 'Spa Receptionist',
                description: PLAIN_DESCRIPTION,
                categoryId: categories[0],
                salaryMin,
              }),
            ),
          ]);
          for (const j of created) inserted.add(j.id);
          seen.push(...p.data.map((j) => j.id));
          cursor = p.nextCursor;
          round++;
        } while (cursor);

        expect(round).toBeGreaterThan(2);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.filter((id) => !inserted.has(id))).toEqual(before);
        // afterwards the list holds the earlier and the new jobs alike
        const after = await walk(t, query);
        expect(after).toEqual(expected(pred, sort));
        expect(after).toEqual(expect.arrayContaining([...inserted]));
      },
    );
  });

  describe('full-text search', () => {
    it.each([
      ['therapist', () => [search.shiatsu, search.massage]],
      ['therapists', () => [search.shiatsu, search.massage]],
      ['Shiatsu', () => [search.shiatsu]],
      ['shiatsu therapist', () => [search.shiatsu]],
      ['reflexology', () => [search.desk]],
      ['massages', () => [search.massage]],
      ['"treatment rooms"', () => [search.shiatsu]],
      ['acupuncture', () => []],
    ])('q=%s finds exactly the open jobs about it', async (q, want) => {
      const ids = await walk(t, { q, limit: 7 });
      expect([...ids].sort((a, b) => a - b)).toEqual([...want()].sort((a, b) => a - b));
    });

    it('combines q with filters', async () => {
      expect(await walk(t, { q: 'therapist', stateId: places.b.stateId })).toEqual([
        search.massage,
      ]);
      expect(await walk(t, { q: 'therapist', employmentType: 'full_time' })).toEqual([
        search.shiatsu,
      ]);
    });

    it('treats search operators and punctuation in q as text, never as an error', async () => {
      for (const q of ["therapist's", 'shiatsu & | ! :* ( )', '-', "'; DROP TABLE jobs; --"]) {
        const res = await t.http.get('/api/v1/jobs').query({ q }).expect(200);
        expect(Array.isArray(res.body.data)).toBe(true);
      }
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM jobs`);
      expect(n).toBe(known.length);
    });

    it('is served by the GIN index idx_jobs_search', async () => {
      const [sql, params] = t.app
        .get(JobsSearchService)
        .listQuery({ q: 'shiatsu' })
        .getQueryAndParameters();
      expect(sql).toContain('search_vector');
      const runner = t.db.createQueryRunner();
      await runner.connect();
      try {
        // Rows inserted since the index was built wait in the GIN pending list, which makes the
        // index look expensive to the planner until a VACUUM merges it (autovacuum's job on
        // PostgreSQL; the embedded PGlite has no autovacuum). Spas are analyzed too: a fresh,
        // never-analyzed spas table looks like one row to the planner, which then starts from it.
        await runner.query('VACUUM ANALYZE jobs, spas');
        await runner.startTransaction();
        // A table this small is cheaper to scan whole: rule out every plan but index bitmaps.
        await runner.query('SET LOCAL enable_seqscan = off');
        await runner.query('SET LOCAL enable_indexscan = off');
        const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(`EXPLAIN ${sql}`, params);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan).toMatch(
          /Bitmap Index Scan on idx_jobs_search\s+\([^)]*\)\s+Index Cond: \(search_vector @@/,
        );
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    });
  });

  describe('query count', () => {
    it('costs the same few SQL queries for a page of 2 and a page of 50', async () => {
      expect(open().length).toBeGreaterThanOrEqual(50);
      const spy = vi.spyOn(PostgresQueryRunner.prototype, 'query');
      try {
        const counts: number[] = [];
        for (const limit of [2, 50]) {
          spy.mockClear();
          const res = await t.http.get('/api/v1/jobs').query({ limit }).expect(200);
          expect(res.body.data).toHaveLength(limit);
          expect(res.body.data[limit - 1]).toMatchObject({
            spa: { id: expect.any(Number) },
            category: { id: expect.any(Number) },
            city: { id: expect.any(Number) },
            state: { id: expect.any(Number) },
          });
          counts.push(spy.mock.calls.length);
        }
        expect(counts[0]).toBeGreaterThan(0);
        expect(counts[1]).toBe(counts[0]);
        expect(counts[0]).toBeLessThanOrEqual(3);
      } finally {
        spy.mockRestore();
      }
    });
  });
});

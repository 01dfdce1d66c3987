import { createTestApp, type TestApp } from '../support/create-test-app.js';

describe('locations and categories', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lists the 50 states by name', async () => {
    const res = await t.http.get('/api/v1/states').expect(200);
    expect(res.body.data).toHaveLength(50);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data[0]).toEqual({
      id: expect.any(Number),
      code: 'AL',
      name: 'Alabama',
      slug: 'alabama',
      isActive: true,
    });
  });

  it('filters cities by state and name prefix, case-insensitively', async () => {
    const states = (await t.http.get('/api/v1/states')).body.data as Array<{
      id: number;
      code: string;
    }>;
    const ca = states.find((s) => s.code === 'CA')!;
    const res = await t.http.get(`/api/v1/cities?stateId=${ca.id}&q=san&limit=100`).expect(200);
    const names = (res.body.data as Array<{ name: string; stateId: number }>).map((c) => c.name);
    expect(names).toEqual([
      'San Diego',
      'San Francisco',
      'San Jose',
      'Santa Barbara',
      'Santa Monica',
    ]);
    expect(res.body.data.every((c: { stateId: number }) => c.stateId === ca.id)).toBe(true);
  });

  it('treats LIKE wildcards in q as text', async () => {
    const res = await t.http.get('/api/v1/cities?q=%25').expect(200);
    expect(res.body.data).toEqual([]);
  });

  it('walks every city exactly once through the cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ id: number }>; nextCursor: string | null } } = await t.http
        .get('/api/v1/cities')
        .query({ limit: 100, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...res.body.data.map((c) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM cities`);
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
    expect(count).toBeGreaterThanOrEqual(300);
  });

  it('lists job categories', async () => {
    const res = await t.http.get('/api/v1/job-categories').expect(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(10);
    expect(res.body.data[0]).toEqual({
      id: expect.any(Number),
      name: expect.any(String),
      slug: expect.any(String),
      description: expect.any(String),
      isActive: true,
    });
  });

  it('answers 404 for a state that does not exist', async () => {
    const res = await t.http.get('/api/v1/cities?stateId=999999').expect(404);
    expect(res.body).toMatchObject({
      statusCode: 404,
      code: 'STATE_NOT_FOUND',
      requestId: expect.any(String),
    });
  });

  it.each([
    ['stateId=abc', 'stateId'],
    ['stateId=-1', 'stateId'],
    ['stateId=1.5', 'stateId'],
    ['stateId=99999999999999999999', 'stateId'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    [`q=${'a'.repeat(101)}`, 'q'],
    ['q=%00abc', 'q'],
    ['unknown=1', 'unknown'],
    ['cursor=not-a-cursor', 'cursor'],
    ["cursor=' OR 1=1 --", 'cursor'],
    ['stateId=1&stateId=2', 'stateId'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await t.http.get(`/api/v1/cities?${query}`).expect(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      requestId: expect.any(String),
    });
    expect(res.body.message).toContain(field);
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const ok = await t.http.get('/api/v1/states').set('X-Request-Id', 'abc-123');
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await t.http.get('/api/v1/states').set('X-Request-Id', 'x'.repeat(200));
    expect(bad.headers['x-request-id']).not.toBe('x'.repeat(200));
  });
});

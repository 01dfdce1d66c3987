import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { DEFAULT_SECRET_KEY } from '../../src/config/env.schema.js';
import { DEMO_ADMIN, DEMO_EMAILS, DEMO_USER_PASSWORD } from '../../src/database/seed/demo-data.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createUser, snapshot, type TestUser } from '../support/factories.js';
import { waitFor } from '../support/wait.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const REALM = 'Bearer realm="spajobs"';
const challenge = (description: string, error = 'invalid_token') =>
  `${REALM}, error="${error}", error_description="${description}"`;

/**
 * Every app of this file logs warnings to one file: nestjs-pino keeps one root logger per
 * process, built by the first app, so a later app's own LOG_FILE would not be used.
 */
const dir = mkdtempSync(join(tmpdir(), 'spajobs-auth-'));
const LOG_FILE = join(dir, 'app.log');
const LOGGING = { LOG_LEVEL: 'WARNING', LOG_FILE };
afterAll(() => rm(dir, { recursive: true, force: true }));

const readLog = () => readFile(LOG_FILE, 'utf8').catch(() => '');
/** The log line holding `text` (pino writes asynchronously: polled). */
async function logLine(text: string): Promise<{ level: number; msg: string } | undefined> {
  await waitFor(async () => (await readLog()).includes(text), 5000);
  const line = (await readLog()).split('\n').find((l) => l.includes(text));
  return line ? (JSON.parse(line) as { level: number; msg: string }) : undefined;
}

describe('bearer tokens', () => {
  let t: TestApp;
  let user: TestUser;
  let ours: JwtService;

  beforeAll(async () => {
    t = await createTestApp({ env: LOGGING });
    user = await createUser(t, 'job_seeker');
    ours = new JwtService({ secret: t.config.auth.secretKey });
  });
  afterAll(() => t.close());

  const me = (authorization?: string) => {
    const req = t.http.get('/api/v1/users/me');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };
  const claims = () => ({ sub: String(user.id), tv: 0 });

  it('issues HS256 tokens that carry exp, iat, the user and the token version', () => {
    const [header, payload] = user.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(b64d(p)) as object);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({
      sub: String(user.id),
      tv: 0,
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    const { iat, exp } = payload as { iat: number; exp: number };
    expect(exp - iat).toBe(t.config.auth.accessTokenMinutes * 60);
  });

  it.each<[string, () => string | undefined, string, string]>([
    ['no Authorization header', () => undefined, 'TOKEN_MISSING', REALM],
    ['another scheme (Basic)', () => 'Basic YTpi', 'TOKEN_MISSING', REALM],
    [
      '"Bearer" without a token',
      () => 'Bearer',
      'TOKEN_INVALID',
      challenge('The bearer token is malformed', 'invalid_request'),
    ],
    [
      'two tokens',
      () => `Bearer ${user.token} ${user.token}`,
      'TOKEN_INVALID',
      challenge('The bearer token is malformed', 'invalid_request'),
    ],
    ['garbage', () => 'Bearer not-a-jwt', 'TOKEN_INVALID', challenge('The token is invalid')],
    [
      'signed with another key',
      () =>
        `Bearer ${new JwtService({ secret: randomBytes(32).toString('hex') }).sign(claims(), { expiresIn: 600 })}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'signed with the public development default',
      () =>
        `Bearer ${new JwtService({ secret: DEFAULT_SECRET_KEY }).sign(claims(), { expiresIn: 600 })}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'signed with our key but HS512',
      () => `Bearer ${ours.sign(claims(), { algorithm: 'HS512', expiresIn: 600 })}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'signed with our key but HS384',
      () => `Bearer ${ours.sign(claims(), { algorithm: 'HS384', expiresIn: 600 })}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'alg "none", no signature',
      () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), exp: now() + 600 })}.`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'alg "none" with our HS256 signature',
      () =>
        `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${user.token.split('.').slice(1).join('.')}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'payload swapped, signature kept',
      () =>
        `Bearer ${user.token.split('.')[0]}.${b64({ sub: '1', tv: 0, exp: now() + 600 })}.${user.token.split('.')[2]}`,
      'TOKEN_INVALID',
      challenge('The token is invalid'),
    ],
    [
      'signed with our key but without exp',
      () => `Bearer ${ours.sign(claims())}`,
      'TOKEN_INVALID',
      challenge('The token has no expiry'),
    ],
    [
      'expired',
      () => `Bearer ${ours.sign(claims(), { expiresIn: -10 })}`,
      'TOKEN_EXPIRED',
      challenge('The token has expired'),
    ],
    [
      'of an unknown user',
      () => `Bearer ${ours.sign({ sub: '987654321', tv: 0 }, { expiresIn: 600 })}`,
      'TOKEN_REVOKED',
      challenge('The token is no longer valid'),
    ],
    [
      'of an older token version',
      () => `Bearer ${ours.sign({ ...claims(), tv: 7 }, { expiresIn: 600 })}`,
      'TOKEN_REVOKED',
      challenge('The token is no longer valid'),
    ],
  ])('refuses %s: 401 %s with WWW-Authenticate', async (_, authorization, code, header) => {
    const before = await snapshot(t);
    const res = await me(authorization()).expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code });
    expect(res.headers['www-authenticate']).toBe(header);
    expect(JSON.stringify(res.body)).not.toContain(user.email);
    expect(await snapshot(t)).toEqual(before);
  });

  it('accepts the same claims signed properly, so the refusals above are about the forgery', async () => {
    const res = await me(`Bearer ${ours.sign(claims(), { expiresIn: 600 })}`).expect(200);
    expect(res.body.id).toBe(user.id);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])(
    'reads the %s scheme case-insensitively (RFC 9110)',
    async (scheme) => {
      expect((await me(`${scheme} ${user.token}`).expect(200)).body.id).toBe(user.id);
      expect((await me(`${scheme}   ${user.token}`).expect(200)).body.id).toBe(user.id);
    },
  );

  it('answers a write with a forged token 401 before reading or writing anything', async () => {
    const before = await snapshot(t);
    const forged = new JwtService({ secret: DEFAULT_SECRET_KEY }).sign(
      { sub: String(user.id), tv: 0 },
      { expiresIn: 600 },
    );
    const res = await t.http
      .patch('/api/v1/users/me')
      .set('Authorization', `Bearer ${forged}`)
      .send({ fullName: 'Forged Name' })
      .expect(401);
    expect(res.body.code).toBe('TOKEN_INVALID');
    expect(await snapshot(t)).toEqual(before);
  });
});

describe('SECRET_KEY at boot', () => {
  it('warns, naming SECRET_KEY, when development runs on the public default', async () => {
    // the app above, with a key of its own, did not warn
    expect(await readLog()).not.toContain('SECRET_KEY');
    const app = await createTestApp({
      env: { NODE_ENV: 'development', SECRET_KEY: '', ...LOGGING },
    });
    try {
      expect(app.config.auth.secretKey).toBe(DEFAULT_SECRET_KEY);
      expect(await logLine('SECRET_KEY is unset')).toMatchObject({
        level: 40,
        msg: expect.stringContaining('anyone can forge them'),
      });
    } finally {
      await app.close();
    }
  });
});

describe('demo accounts on a production boot', () => {
  const SECRET_KEY = randomBytes(32).toString('base64url');
  let dev: TestApp;
  let prod: TestApp | undefined;

  beforeAll(async () => {
    dev = await createTestApp({ env: { SEED_DEMO_DATA: 'true', SECRET_KEY, ...LOGGING } });
  });
  afterAll(async () => {
    await prod?.close();
    await dev.close();
  });

  const login = (app: TestApp, email: string, password: string) =>
    app.http.post('/api/v1/auth/login').send({ email, password });
  const demoRows = (app: TestApp) =>
    app.db.query<Array<{ email: string; is_active: boolean; token_version: number }>>(
      `SELECT email, is_active, token_version FROM users WHERE email = ANY($1::text[]) ORDER BY id`,
      [DEMO_EMAILS],
    );

  it('are disabled, loudly, when the same database is started with NODE_ENV=production', async () => {
    // development: the seeded accounts log in with their published passwords
    const devAdmin = await login(dev, DEMO_ADMIN.email, DEMO_ADMIN.password).expect(200);
    await login(dev, 'employer1@spajobs.local', DEMO_USER_PASSWORD).expect(200);
    const realUser = await createUser(dev, 'employer');
    expect(await demoRows(dev)).toHaveLength(DEMO_EMAILS.length);

    expect(await readLog()).not.toContain('development demo account');
    prod = await createTestApp({
      shareWith: dev,
      env: { NODE_ENV: 'production', SEED_DEMO_DATA: '' },
    });
    expect(prod.config.env).toBe('production');

    const rows = await demoRows(prod);
    expect(rows).toHaveLength(DEMO_EMAILS.length);
    for (const row of rows) expect(row).toMatchObject({ is_active: false, token_version: 1 });

    for (const [email, password] of [
      [DEMO_ADMIN.email, DEMO_ADMIN.password],
      ['employer1@spajobs.local', DEMO_USER_PASSWORD],
      ['seeker5@spajobs.local', DEMO_USER_PASSWORD],
    ]) {
      const res = await login(prod, email, password).expect(403);
      expect(res.body.code).toBe('ACCOUNT_DISABLED');
      expect(res.body).not.toHaveProperty('accessToken');
    }
    // a token the demo admin got before (same key) is revoked too
    const old = await prod.http
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${devAdmin.body.accessToken}`)
      .expect(401);
    expect(old.body.code).toBe('TOKEN_REVOKED');
    // everyone else is untouched
    await login(prod, realUser.email, realUser.password).expect(200);

    const entry = await logLine('development demo account');
    expect(entry?.level).toBe(50);
    expect(entry?.msg).toContain(`${DEMO_EMAILS.length} development demo account(s)`);
    expect(entry?.msg).toContain(DEMO_ADMIN.email);
    expect(entry?.msg).toMatch(/Delete them/);
  });

  it('are disabled again at the next production boot if an admin re-enabled one', async () => {
    await prod!.db.query(`UPDATE users SET is_active = true WHERE email = $1`, [DEMO_ADMIN.email]);
    await login(prod!, DEMO_ADMIN.email, DEMO_ADMIN.password).expect(200);
    await prod!.close();
    prod = await createTestApp({
      shareWith: dev,
      env: { NODE_ENV: 'production', SEED_DEMO_DATA: '' },
    });
    expect((await login(prod, DEMO_ADMIN.email, DEMO_ADMIN.password).expect(403)).body.code).toBe(
      'ACCOUNT_DISABLED',
    );
    const admin = (await demoRows(prod)).find((r) => r.email === DEMO_ADMIN.email);
    expect(admin).toMatchObject({ is_active: false, token_version: 2 });
  });
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function b64d(part: string): string {
  return Buffer.from(part, 'base64url').toString('utf8');
}

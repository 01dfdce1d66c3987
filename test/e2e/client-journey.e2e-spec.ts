import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import createClient from 'openapi-fetch';
import ts from 'typescript';
import type { ErrorCode } from '../../src/common/error-codes.js';
import type { components, paths } from '../client/schema.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { FILES } from '../support/factories.js';
import { storedFiles } from '../support/files.js';

type Job = components['schemas']['JobDto'];
type ErrorBody = components['schemas']['ErrorDto'];

const JOURNEY_FILE = fileURLToPath(import.meta.url);

/** A client of the generated types, signed in as `token` when given. */
function clientFor(baseUrl: string, token?: string) {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}

/** The body of a success with this status; anything else fails the test with the error body. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number): T {
  expect({ status: result.response.status, error: result.error }).toEqual({
    status,
    error: undefined,
  });
  if (result.data === undefined) throw new Error(`${result.response.url}: no body`);
  return result.data;
}

/** The code of an error body, as the catalogue types it: the generated enum is the catalogue. */
function codeOf(error: ErrorBody | undefined): ErrorCode | undefined {
  return error?.code;
}

/**
 * A client author's whole journey through the generated `openapi-fetch` client only (the app on a
 * real port): every request, body, parameter and error is typed by test/client/schema.d.ts.
 */
describe('generated client journey', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t.close());

  it('employer and seeker meet through the typed client, errors typed as ErrorDto', async () => {
    const anonymous = clientFor(baseUrl);
    const password = 'plum-orchard-lantern-42';

    // reference data: two cities and a category
    const cities = ok(
      await anonymous.GET('/api/v1/cities', { params: { query: { limit: 2 } } }),
      200,
    );
    const [home, elsewhere] = cities.data;
    expect(elsewhere).toBeDefined();
    const [category] = ok(await anonymous.GET('/api/v1/job-categories'), 200).data;

    // the employer registers; the same e-mail again is a typed 409
    const employerEmail = `employer-${Date.now()}@example.test`;
    const employerAccount = ok(
      await anonymous.POST('/api/v1/auth/register', {
        body: { email: employerEmail, password, fullName: 'Erin Employer', role: 'employer' },
      }),
      201,
    );
    expect(employerAccount.user).toMatchObject({ email: employerEmail, role: 'employer' });
    const again = await anonymous.POST('/api/v1/auth/register', {
      body: { email: employerEmail, password, fullName: 'Erin Again', role: 'employer' },
    });
    expect(again.response.status).toBe(409);
    expect(codeOf(again.error)).toBe('EMAIL_TAKEN');
    expect(again.error?.requestId).toBe(again.response.headers.get('x-request-id'));
    const employer = clientFor(baseUrl, employerAccount.accessToken);
    // employers post jobs once their address is verified (the mailed link is followed in
    // accounts.e2e-spec.ts)
    await t.db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [
      employerEmail,
    ]);

    // two spas, in two cities; an image for the first, stored and served
    const spa = ok(
      await employer.POST('/api/v1/spas', { body: { name: 'Juniper Day Spa', cityId: home.id } }),
      201,
    );
    const otherSpa = ok(
      await employer.POST('/api/v1/spas', {
        body: { name: 'Cedar Bath House', cityId: elsewhere.id },
      }),
      201,
    );
    const image = ok(
      await employer.POST('/api/v1/spas/{id}/images', {
        params: { path: { id: spa.id } },
        body: { image: new Blob([FILES.png], { type: 'image/png' }) },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append('image', body.image, 'front.png');
          return form;
        },
      }),
      201,
    );
    expect((await storedFiles(t)).uploads).toEqual([image.url.replace('/uploads/', '')]);
    const served = await fetch(new URL(image.url, baseUrl));
    expect(Buffer.from(await served.arrayBuffer())).toEqual(FILES.png);

    // three jobs in the first city, one in the other; a job with a bad title is a typed 400
    const openings: Array<[number, string]> = [
      [spa.id, 'Aromatherapy Massage Therapist'],
      [spa.id, 'Front Desk Coordinator'],
      [spa.id, 'Licensed Esthetician'],
      [otherSpa.id, 'Spa Attendant'],
    ];
    const posted: Job[] = [];
    for (const [spaId, title] of openings) {
      const body = {
        spaId,
        categoryId: category.id,
        title,
        description: `${title}: join a calm, friendly team that cares for every guest.`,
        salaryMin: 40_000,
        salaryMax: 55_000,
      };
      posted.push(ok(await employer.POST('/api/v1/jobs', { body }), 201));
    }
    const invalid = await employer.POST('/api/v1/jobs', {
      body: { spaId: spa.id, categoryId: category.id, title: 'x', description: 'too short' },
    });
    expect(invalid.response.status).toBe(400);
    expect(codeOf(invalid.error)).toBe('VALIDATION_FAILED');
    expect(invalid.error?.message).toMatch(/title/);

    // a seeker searches by city (page by page, following the cursor) and by words
    const seekerEmail = `seeker-${Date.now()}@example.test`;
    const seekerAccount = ok(
      await anonymous.POST('/api/v1/auth/register', {
        body: { email: seekerEmail, password, fullName: 'Sam Seeker' },
      }),
      201,
    );
    expect(seekerAccount.user.role).toBe('job_seeker');
    const seeker = clientFor(baseUrl, seekerAccount.accessToken);

    const walked: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = ok(
        await seeker.GET('/api/v1/jobs', {
          params: { query: { cityId: home.id, limit: 2, cursor } },
        }),
        200,
      );
      walked.push(...page.data.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    const inHome = posted.filter((j) => j.spa.id === spa.id).map((j) => j.id);
    expect(walked.sort()).toEqual(inHome.sort());
    const found = ok(
      await seeker.GET('/api/v1/jobs', { params: { query: { q: 'aromatherapy' } } }),
      200,
    );
    expect(found.data.map((j) => j.title)).toEqual(['Aromatherapy Massage Therapist']);
    const badPage = await seeker.GET('/api/v1/jobs', { params: { query: { limit: 1000 } } });
    expect(badPage.response.status).toBe(400);
    expect(codeOf(badPage.error)).toBe('VALIDATION_FAILED');

    // the job opens by its slug; a job that does not exist is a typed 404
    const target = posted[0];
    const opened = ok(
      await seeker.GET('/api/v1/jobs/{id}', { params: { path: { id: target.slug } } }),
      200,
    );
    expect(opened).toMatchObject({ id: target.id, title: target.title });
    const missing = await seeker.GET('/api/v1/jobs/{id}', {
      params: { path: { id: 2_147_483_647 } },
    });
    expect(missing.response.status).toBe(404);
    expect(codeOf(missing.error)).toBe('JOB_NOT_FOUND');

    // the seeker applies with a PDF (multipart), once
    const application = ok(
      await seeker.POST('/api/v1/jobs/{id}/applications', {
        params: { path: { id: target.id } },
        body: {
          coverLetter: 'Five years of aromatherapy in day spas.',
          resume: new Blob([FILES.pdf], { type: 'application/pdf' }),
        },
        bodySerializer: (body) => {
          const form = new FormData();
          if (body?.coverLetter) form.append('coverLetter', body.coverLetter);
          if (body && 'resume' in body && body.resume) form.append('resume', body.resume, 'cv.pdf');
          return form;
        },
      }),
      201,
    );
    expect(application.hasResume).toBe(true);
    const twice = await seeker.POST('/api/v1/jobs/{id}/applications', {
      params: { path: { id: target.id } },
      body: { coverLetter: 'Again' },
    });
    expect(twice.response.status).toBe(409);
    expect(codeOf(twice.error)).toBe('ALREADY_APPLIED');

    // the employer lists the job's applications, reads the resume and shortlists
    const received = ok(
      await employer.GET('/api/v1/jobs/{id}/applications', {
        params: { path: { id: target.id } },
      }),
      200,
    );
    expect(received.data.map((a) => [a.id, a.applicant.email])).toEqual([
      [application.id, seekerEmail],
    ]);
    const resume = ok(
      await employer.GET('/api/v1/applications/{id}/resume', {
        params: { path: { id: application.id } },
        parseAs: 'arrayBuffer',
      }),
      200,
    );
    expect(Buffer.from(resume)).toEqual(FILES.pdf);
    const shortlisted = ok(
      await employer.PATCH('/api/v1/applications/{id}', {
        params: { path: { id: application.id } },
        body: { status: 'shortlisted' },
      }),
      200,
    );
    expect(shortlisted.status).toBe('shortlisted');

    // the seeker sees their own application, shortlisted, and may not move it themselves
    const mine = ok(await seeker.GET('/api/v1/applications/mine'), 200);
    expect(mine.data.map((a) => [a.id, a.status, a.job.id])).toEqual([
      [application.id, 'shortlisted', target.id],
    ]);
    const notTheirs = await seeker.PATCH('/api/v1/applications/{id}', {
      params: { path: { id: application.id } },
      body: { status: 'hired' },
    });
    expect(notTheirs.response.status).toBe(403);
    expect(codeOf(notTheirs.error)).toBe('FORBIDDEN_ROLE');
    const rows = await t.db.query(`SELECT status FROM applications WHERE id = $1`, [
      application.id,
    ]);
    expect(rows).toEqual([{ status: 'shortlisted' }]);

    // without a token, a protected route is a typed 401
    const anonymousMe = await anonymous.GET('/api/v1/users/me');
    expect(anonymousMe.response.status).toBe(401);
    expect(codeOf(anonymousMe.error)).toBe('TOKEN_MISSING');
  });

  it('type-checks under --strict with no type assertions (as, <T>, !)', async () => {
    const source = await readFile(JOURNEY_FILE, 'utf8');
    const file = ts.createSourceFile(JOURNEY_FILE, source, ts.ScriptTarget.ES2023, true);
    const casts: string[] = [];
    const visit = (node: ts.Node) => {
      if (
        ts.isAsExpression(node) ||
        ts.isTypeAssertionExpression(node) ||
        ts.isNonNullExpression(node) ||
        ts.isSatisfiesExpression(node)
      ) {
        casts.push(node.getText(file));
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    expect(casts).toEqual([]);

    const config = ts.getParsedCommandLineOfConfigFile(
      'tsconfig.json',
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    expect(config?.options.strict).toBe(true);
    expect(config?.fileNames).toContain(JOURNEY_FILE);
    const program = ts.createProgram([JOURNEY_FILE], { ...config?.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(JOURNEY_FILE))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  });
});

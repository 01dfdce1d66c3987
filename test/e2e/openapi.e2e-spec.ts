import { createTestApp, type TestApp } from '../support/create-test-app.js';

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
  >;
  components: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

/** The routes of API.md, as the generated document must list them. */
const CONTRACT: Array<[string, string, 'public' | 'bearer']> = [
  ['post', '/api/v1/auth/register', 'public'],
  ['post', '/api/v1/auth/login', 'public'],
  ['get', '/api/v1/users/me', 'bearer'],
  ['patch', '/api/v1/users/me', 'bearer'],
  ['get', '/api/v1/users', 'bearer'],
  ['patch', '/api/v1/users/{id}', 'bearer'],
  ['get', '/api/v1/states', 'public'],
  ['get', '/api/v1/cities', 'public'],
  ['get', '/api/v1/job-categories', 'public'],
  ['get', '/api/v1/spas', 'public'],
  ['get', '/api/v1/spas/{idOrSlug}', 'public'],
  ['post', '/api/v1/spas', 'bearer'],
  ['patch', '/api/v1/spas/{id}', 'bearer'],
  ['delete', '/api/v1/spas/{id}', 'bearer'],
  ['post', '/api/v1/spas/{id}/images', 'bearer'],
  ['get', '/api/v1/jobs', 'public'],
  ['get', '/api/v1/jobs/{idOrSlug}', 'public'],
  ['post', '/api/v1/jobs', 'bearer'],
  ['patch', '/api/v1/jobs/{id}', 'bearer'],
  ['delete', '/api/v1/jobs/{id}', 'bearer'],
  ['post', '/api/v1/jobs/{id}/applications', 'bearer'],
  ['get', '/api/v1/jobs/{id}/applications', 'bearer'],
  ['get', '/api/v1/applications/mine', 'bearer'],
  ['get', '/api/v1/applications/{id}', 'bearer'],
  ['patch', '/api/v1/applications/{id}', 'bearer'],
  ['get', '/api/v1/applications/{id}/resume', 'bearer'],
  ['get', '/health/live', 'public'],
  ['get', '/health/ready', 'public'],
  ['get', '/health', 'public'],
];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDoc;
  });
  afterAll(() => t.close());

  it('lists every route of the contract, with bearer auth marked exactly where it is needed', () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const [method, path, auth] of CONTRACT) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(Boolean(op.security?.length), `${method.toUpperCase()} ${path} security`).toBe(
        auth === 'bearer',
      );
    }
  });

  it('serves the UI at /docs', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger');
  });
});

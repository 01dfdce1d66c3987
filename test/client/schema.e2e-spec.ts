import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { clientSchemaSource, SCHEMA_FILE } from './generate.js';

/**
 * The committed client types are what the served document generates today: a route, DTO or
 * error code changed without `npm run client:generate` fails here (that script runs this file
 * with --update, which rewrites the file instead).
 */
describe('generated client types', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('test/client/schema.d.ts is up to date with /docs-json', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    await expect(await clientSchemaSource(document)).toMatchFileSnapshot(SCHEMA_FILE);
  });
});

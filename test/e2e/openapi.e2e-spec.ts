import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Controller, Get, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiOperation } from '@nestjs/swagger';
import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/common/error-codes.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';

const run = promisify(execFile);
const LINT_TIMEOUT_MS = 90_000;

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  minimum?: number;
  enum?: string[];
  required?: string[];
  properties?: Record<string, Schema>;
  allOf?: Schema[];
  oneOf?: Schema[];
  [key: string]: unknown;
}
interface Media {
  schema?: Schema;
  example?: unknown;
}
interface Operation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; schema: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Response {
  $ref?: string;
  description?: string;
  content?: Record<string, Media>;
}
interface OpenApiDoc {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses?: Record<string, Response>;
    securitySchemes?: Record<string, { type: string; scheme?: string }>;
  };
}

/** The routes of API.md, as the generated document must list them (path parameters renamed). */
const CONTRACT: Array<[string, string, 'public' | 'bearer', string]> = [
  ['post', '/api/v1/auth/register', 'public', 'register'],
  ['post', '/api/v1/auth/login', 'public', 'login'],
  ['get', '/api/v1/users/me', 'bearer', 'getMe'],
  ['patch', '/api/v1/users/me', 'bearer', 'updateMe'],
  ['get', '/api/v1/users', 'bearer', 'listUsers'],
  ['patch', '/api/v1/users/{id}', 'bearer', 'updateUser'],
  ['get', '/api/v1/states', 'public', 'listStates'],
  ['get', '/api/v1/cities', 'public', 'listCities'],
  ['get', '/api/v1/job-categories', 'public', 'listJobCategories'],
  ['get', '/api/v1/spas', 'public', 'listSpas'],
  ['get', '/api/v1/spas/{id}', 'public', 'getSpa'],
  ['post', '/api/v1/spas', 'bearer', 'createSpa'],
  ['patch', '/api/v1/spas/{id}', 'bearer', 'updateSpa'],
  ['delete', '/api/v1/spas/{id}', 'bearer', 'deactivateSpa'],
  ['post', '/api/v1/spas/{id}/images', 'bearer', 'addSpaImage'],
  ['get', '/api/v1/jobs', 'public', 'listJobs'],
  ['get', '/api/v1/jobs/{id}', 'public', 'getJob'],
  ['post', '/api/v1/jobs', 'bearer', 'createJob'],
  ['patch', '/api/v1/jobs/{id}', 'bearer', 'updateJob'],
  ['delete', '/api/v1/jobs/{id}', 'bearer', 'closeJob'],
  ['post', '/api/v1/jobs/{id}/applications', 'bearer', 'applyToJob'],
  ['get', '/api/v1/jobs/{id}/applications', 'bearer', 'listJobApplications'],
  ['get', '/api/v1/applications/mine', 'bearer', 'listMyApplications'],
  ['get', '/api/v1/applications/{id}', 'bearer', 'getApplication'],
  ['patch', '/api/v1/applications/{id}', 'bearer', 'updateApplicationStatus'],
  ['get', '/api/v1/applications/{id}/resume', 'bearer', 'downloadResume'],
  ['get', '/health/live', 'public', ''],
  ['get', '/health/ready', 'public', ''],
  ['get', '/health', 'public', ''],
];

const ERROR_REF = '#/components/schemas/ErrorDto';
/** Rules whose findings mean an example contradicts its schema: kept at zero like errors. */
const EXAMPLE_RULES = [
  'no-invalid-media-type-examples',
  'no-invalid-schema-examples',
  'oas3-valid-media-example',
  'oas3-valid-schema-example',
];

function operations(doc: OpenApiDoc): Array<[string, string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, string, Operation] => [path, method, op]),
  );
}

function refersToErrorDto(schema: Schema | undefined): boolean {
  return schema?.$ref === ERROR_REF || (schema?.allOf ?? []).some((s) => s.$ref === ERROR_REF);
}

async function lint(file: string, dir: string) {
  const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);
  // both exit non-zero when they find errors: read their report either way
  const report = async (cmd: string, args: string[]) => {
    try {
      return (
        await run(bin(cmd), args, {
          timeout: LINT_TIMEOUT_MS,
          cwd: dir,
          maxBuffer: 32 * 2 ** 20,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        })
      ).stdout;
    } catch (err) {
      const out = (err as { stdout?: string }).stdout;
      if (!out) throw err;
      return out;
    }
  };
  const ruleset = join(dir, 'spectral.yaml');
  await writeFile(ruleset, 'extends: ["spectral:oas"]\n');
  const redocly = JSON.parse(
    await report('redocly', ['lint', '--extends=recommended', '--format=json', file]),
  ) as {
    problems: Array<{ ruleId: string; severity: string; message: string; location: unknown }>;
  };
  const spectral = JSON.parse(
    await report('spectral', ['lint', '-r', ruleset, '-f', 'json', '--quiet', file]),
  ) as Array<{ code: string; severity: number; message: string; path: string[] }>;
  return {
    redoclyErrors: redocly.problems.filter((p) => p.severity === 'error'),
    redoclyExampleFindings: redocly.problems.filter((p) => EXAMPLE_RULES.includes(p.ruleId)),
    // spectral severities: 0 error, 1 warning, 2 info, 3 hint
    spectralErrors: spectral.filter((p) => p.severity === 0),
    spectralExampleFindings: spectral.filter((p) => EXAMPLE_RULES.includes(p.code)),
  };
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDoc;
  });
  afterAll(() => t.close());

  it('lists every route of the contract, with its operationId and security exactly as needed', () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const [method, path, auth, operationId] of CONTRACT) {
      const op = doc.paths[path]?.[method];
      const where = `${method.toUpperCase()} ${path}`;
      expect(op, where).toBeDefined();
      expect(op.security, `${where} security`).toEqual(auth === 'bearer' ? [{ bearer: [] }] : []);
      if (operationId) expect(op.operationId, where).toBe(operationId);
    }
    for (const [path, method, op] of operations(doc)) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z]+$/);
      expect(op.security, `${method} ${path} says who may call it`).toBeDefined();
    }
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it('passes redocly (recommended) and spectral (spectral:oas) with zero errors and valid examples', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spajobs-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc, null, 2));
      const found = await lint(file, dir);
      expect(found.redoclyErrors).toEqual([]);
      expect(found.spectralErrors).toEqual([]);
      expect(found.redoclyExampleFindings).toEqual([]);
      expect(found.spectralExampleFindings).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('declares every path parameter, ids as integers from 1, one name per path position', () => {
    const shapes = new Set<string>();
    for (const [path, method, op] of operations(doc)) {
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        const param = op.parameters?.find((p) => p.in === 'path' && p.name === name);
        expect(param, `${method} ${path} declares ${name}`).toBeDefined();
        const schema = param!.schema;
        const integer = schema.type === 'integer' ? schema : schema.oneOf?.[0];
        if (name === 'id' || name.endsWith('Id')) {
          expect(integer, `${method} ${path} ${name}`).toMatchObject({
            type: 'integer',
            minimum: 1,
          });
        }
      }
      shapes.add(path);
    }
    const byShape = new Map<string, string>();
    for (const path of shapes) {
      const shape = path.replace(/\{[^}]+\}/g, '{}');
      expect(byShape.get(shape) ?? path, `${path} vs ${byShape.get(shape)}`).toBe(path);
      byShape.set(shape, path);
    }
    // the public GET by id or slug takes either
    const ref = doc.paths['/api/v1/jobs/{id}'].get.parameters!.find((p) => p.name === 'id')!;
    expect(ref.schema.oneOf?.map((s) => s.type)).toEqual(['integer', 'string']);
  });

  it('gives every operation its error responses, each an ErrorDto', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses).map(Number);
      const isPublic = op.security?.length === 0;
      const expected = [503];
      if (!isPublic) expected.push(401, 403);
      if (path.includes('{')) expected.push(404, 400);
      if (op.requestBody) expected.push(400, 413, 415);
      if (['post', 'patch', 'put', 'delete'].includes(method)) expected.push(409);
      if (path.startsWith('/api/')) expected.push(429);
      for (const status of expected) expect(statuses, `${where} lists ${status}`).toContain(status);
      for (const status of statuses.filter((s) => s >= 400)) {
        const response = op.responses[status];
        const shared = response.$ref?.replace('#/components/responses/', '');
        const schema = (shared ? doc.components.responses?.[shared] : response)?.content?.[
          'application/json'
        ]?.schema;
        expect(refersToErrorDto(schema), `${where} ${status} is an ErrorDto`).toBe(true);
      }
    }
    expect(doc.paths['/api/v1/jobs'].get.responses['400']).toEqual({
      $ref: '#/components/responses/BadRequest',
    });
    expect(doc.components.responses?.BadRequest.description).toContain('VALIDATION_FAILED');
    // a public route names the errors the generic rules cannot know
    expect(doc.paths['/api/v1/auth/login'].post.responses['401'].description).toContain(
      'INVALID_CREDENTIALS',
    );
  });

  it('has one error schema whose code is the catalogue, and real errors match it', async () => {
    const error = doc.components.schemas.ErrorDto;
    expect(error.required?.sort()).toEqual(
      ['code', 'error', 'message', 'requestId', 'statusCode'].sort(),
    );
    expect(Object.keys(error.properties!).sort()).toEqual(
      ['code', 'details', 'error', 'message', 'requestId', 'statusCode'].sort(),
    );
    expect(error.properties!.code.enum).toEqual(ERROR_CODES);
    expect(error['x-error-catalogue']).toEqual(ERROR_CATALOGUE);
    for (const code of ERROR_CODES) {
      expect(error.properties!.code.description).toContain(`\`${code}\``);
    }

    const res = await t.http.get('/api/v1/jobs/2147483647').expect(404);
    // a 404 has no details: exactly the required fields
    expect(Object.keys(res.body).sort()).toEqual([...(error.required ?? [])].sort());
    expect(error.properties!.code.enum).toContain(res.body.code);
  });

  it('marks nextCursor required and nullable in every page schema', () => {
    const pages = Object.entries(doc.components.schemas).filter(
      ([, s]) => s.properties?.nextCursor,
    );
    expect(pages.length).toBeGreaterThanOrEqual(7);
    for (const [name, schema] of pages) {
      expect(schema.required, name).toContain('nextCursor');
      expect(schema.properties!.nextCursor, name).toMatchObject({ type: 'string', nullable: true });
    }
  });

  it('shows an example on every request body, and documents the optional apply body in both forms', () => {
    for (const [path, method, op] of operations(doc)) {
      for (const [media, content] of Object.entries(op.requestBody?.content ?? {})) {
        expect(content.example, `${method} ${path} ${media}`).toBeDefined();
      }
    }
    const apply = doc.paths['/api/v1/jobs/{id}/applications'].post.requestBody!;
    expect(apply.required).toBe(false);
    expect(apply.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApplyDto',
    });
    expect(apply.content['multipart/form-data'].schema).toEqual({
      $ref: '#/components/schemas/ApplyMultipartDto',
    });
    expect(doc.components.schemas.ApplyMultipartDto.properties?.resume).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    expect(
      doc.paths['/api/v1/auth/register'].post.requestBody!.content['application/json'],
    ).toMatchObject({ example: { email: 'ana@example.com' } });
  });

  it('describes the health probes and the resume download', () => {
    for (const path of ['/health', '/health/live', '/health/ready']) {
      expect(doc.paths[path].get.responses['200'].content?.['application/json']?.schema).toEqual({
        $ref: expect.stringMatching(/^#\/components\/schemas\//),
      });
    }
    const resume = doc.paths['/api/v1/applications/{id}/resume'].get.responses['200'].content;
    expect(resume).toEqual({ 'application/pdf': { schema: { type: 'string', format: 'binary' } } });
  });

  it('serves the UI at /docs', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger');
  });
});

describe('OpenAPI document builder', () => {
  async function documentOf(controller: new () => object) {
    const moduleRef = await Test.createTestingModule({ controllers: [controller] }).compile();
    const app = moduleRef.createNestApplication();
    try {
      return buildOpenApiDocument(app);
    } finally {
      await app.close();
    }
  }

  it('refuses an operation without an operationId', async () => {
    @Controller('things')
    class Unnamed {
      @Get()
      @ApiOperation({ summary: 'No id' })
      list() {}
    }
    await expect(documentOf(Unnamed)).rejects.toThrow(
      /GET \/things \(Unnamed\.list\) has no @ApiOperation operationId/,
    );
  });

  it('refuses two operations with one operationId', async () => {
    @Controller('things')
    class Twice {
      @Get()
      @ApiOperation({ operationId: 'listThings' })
      list() {}
      @Get('others')
      @ApiOperation({ operationId: 'listThings' })
      others() {}
    }
    await expect(documentOf(Twice)).rejects.toThrow(/share the operationId listThings/);
  });

  it('refuses an undeclared path parameter', async () => {
    @Controller('things')
    class Undeclared {
      @Get(':ref')
      @ApiOperation({ operationId: 'getThing' })
      get(@Param('ref', { transform: (v: string) => ({ v }) }) _ref: { v: string }) {}
    }
    await expect(documentOf(Undeclared)).rejects.toThrow(/does not declare the path parameter/);
  });
});

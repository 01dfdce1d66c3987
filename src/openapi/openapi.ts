import { STATUS_CODES } from 'node:http';
import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import {
  ApiConsumes,
  ApiExtension,
  ApiExtraModels,
  ApiParam,
  ApiResponse,
  DECORATORS,
  getSchemaPath,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type PathItemObject,
  type ReferenceObject,
  type RequestBodyObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { PUBLIC_KEY } from '../common/auth.decorators.js';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../common/error-codes.js';
import { exampleOf } from './examples.js';

const ERROR_SCHEMA = 'ErrorDto';
const BEARER = 'bearer';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const WRITES = new Set(['post', 'put', 'patch', 'delete']);
const MAX_ID = 2_147_483_647;
/** What each group of routes is for, as the docs page shows it. */
const TAGS: Partial<Record<string, string>> = {
  applications: 'Job seekers apply; employers review what their jobs received',
  auth: 'Accounts and bearer tokens',
  categories: 'The job categories (reference data)',
  health: 'Probes for load balancers and orchestrators',
  jobs: 'Job postings: public search, and what employers manage',
  locations: 'States and cities (reference data)',
  'saved-searches': 'A job seeker’s saved searches and the alerts they mail',
  spas: 'The spas that post jobs',
  users: 'The caller’s account, and admin user management',
};
/** What the generated id of an operation without `@ApiOperation({ operationId })` starts with. */
const UNNAMED = 'unnamed:';

/** Documents error responses a route can give beyond the generic ones, by catalogue code. */
export function ApiErrors(...codes: ErrorCode[]) {
  const statuses = [...new Set(codes.map((code) => ERROR_CATALOGUE[code].status))];
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: errorDescription(
          status,
          codes.filter((c) => ERROR_CATALOGUE[c].status === status),
        ),
      }),
    ),
  );
}

/** The `:idOrSlug` path parameter of a public GET: digits are an id, anything else a slug. */
export function ApiIdOrSlugParam(resource: string) {
  return ApiParam({
    name: 'idOrSlug',
    description: `The ${resource}’s id, or its slug`,
    schema: {
      oneOf: [
        { type: 'integer', minimum: 1, maximum: MAX_ID },
        { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 200 },
      ],
    },
  });
}

const BODY_EXTENSION = 'x-request-body' as const;

/**
 * A request body with a schema per media type (a JSON form and a multipart form with files),
 * which `@ApiBody` cannot say: one schema for every type, always required.
 */
export function ApiBodyContents(
  contents: Record<string, Type<unknown>>,
  options: { required: boolean; description?: string },
) {
  return applyDecorators(
    // also what MediaTypeGuard accepts on the route
    ApiConsumes(...Object.keys(contents)),
    ApiExtraModels(...Object.values(contents)),
    ApiExtension(BODY_EXTENSION, {
      ...options,
      content: Object.fromEntries(
        Object.entries(contents).map(([media, type]) => [
          media,
          { schema: { $ref: getSchemaPath(type) } },
        ]),
      ),
    }),
  );
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

/**
 * The OpenAPI document of every route, finished so that generated clients and linters can use
 * it as written: one error schema on every error response, security from `@Public()`, one
 * parameter name per path segment, integer ids, a server, tags and request examples. Throws when
 * an operation has no explicit `operationId`, two share one, or a path parameter is undeclared.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('spajobs API')
      .setDescription(
        'Job board for spas. Contract: API.md. Every error is an `ErrorDto`; its `code` is one of ' +
          'the catalogue listed in that schema.',
      )
      .setVersion('1')
      .addServer('/', 'The server that serves this document')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
      .build(),
    { operationIdFactory: (controller, method) => `${UNNAMED}${controller}.${method}` },
  );
  const facts = routeFacts(app);
  checkOperationIds(document);
  document.paths = unifyParameterNames(document.paths);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [ERROR_SCHEMA]: errorSchema() },
  };
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of operationsOf(item)) {
      const route = facts.get(op.operationId ?? '');
      if (!route) throw new Error(`OpenAPI: no route found for operation ${op.operationId}`);
      const declared: OperationObject & { [BODY_EXTENSION]?: RequestBodyObject } = op;
      if (declared[BODY_EXTENSION]) {
        op.requestBody = declared[BODY_EXTENSION];
        delete declared[BODY_EXTENSION];
      }
      finishParameters(path, method, op);
      op.security = route.isPublic ? [] : [{ [BEARER]: [] }];
      addErrorResponses(path, method, op, route);
      addBodyExamples(op, document);
      for (const tag of op.tags ?? []) tags.add(tag);
    }
  }
  document.components.responses = { ...document.components.responses, ...errorResponses(document) };
  document.tags = [...tags].sort().map((name) => ({ name, description: TAGS[name] }));
  return document;
}

interface RouteFacts {
  isPublic: boolean;
  readsInput: boolean;
}

/** What the document cannot tell about each route, by operationId, from the route metadata. */
function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const reflector = app.get(Reflector);
  const facts = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const proto = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const operation = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as
          { operationId?: string } | undefined;
        if (!operation?.operationId) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, name) ?? {}) as object;
        const inputs = new Set([
          RouteParamtypes.QUERY,
          RouteParamtypes.BODY,
          RouteParamtypes.PARAM,
        ]);
        facts.set(operation.operationId, {
          isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, metatype]) === true,
          readsInput: Object.keys(args).some((key) => inputs.has(Number(key.split(':')[0]))),
        });
      }
    }
  }
  return facts;
}

function operationsOf(item: PathItemObject): Array<[string, OperationObject]> {
  return METHODS.flatMap((m) => (item[m] ? [[m, item[m]] as [string, OperationObject]] : []));
}

function checkOperationIds(document: OpenAPIObject): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of operationsOf(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId ?? '';
      if (id.startsWith(UNNAMED)) {
        problems.push(`${where} (${id.slice(UNNAMED.length)}) has no @ApiOperation operationId`);
      } else if (seen.has(id)) {
        problems.push(`${where} and ${seen.get(id)} share the operationId ${id}`);
      } else {
        seen.set(id, where);
      }
    }
  }
  if (problems.length > 0) throw new Error(`OpenAPI: ${problems.join('; ')}`);
}

const PARAM = /\{([^}]+)\}/g;

/**
 * `/jobs/{idOrSlug}` and `/jobs/{id}` are one path to a client: each position takes the name most
 * operations use there, so the document has one path item per URL shape.
 */
function unifyParameterNames(
  paths: Record<string, PathItemObject>,
): Record<string, PathItemObject> {
  const shapeOf = (path: string) => path.replace(PARAM, '{}');
  const namesOf = (path: string) => [...path.matchAll(PARAM)].map((m) => m[1]);
  const votes = new Map<string, Array<Map<string, number>>>();
  for (const [path, item] of Object.entries(paths)) {
    const counts = votes.get(shapeOf(path)) ?? namesOf(path).map(() => new Map<string, number>());
    namesOf(path).forEach((name, i) =>
      counts[i].set(name, (counts[i].get(name) ?? 0) + operationsOf(item).length),
    );
    votes.set(shapeOf(path), counts);
  }
  const out: Record<string, PathItemObject> = {};
  for (const [path, item] of Object.entries(paths)) {
    const winners = votes
      .get(shapeOf(path))!
      .map((counts) => [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0]);
    const renames = new Map(namesOf(path).map((name, i) => [name, winners[i]]));
    let n = 0;
    const canonical = path.replace(PARAM, () => `{${winners[n++]}}`);
    const target = (out[canonical] ??= {});
    for (const [method, op] of operationsOf(item)) {
      if (target[method as (typeof METHODS)[number]]) {
        throw new Error(`OpenAPI: ${method.toUpperCase()} ${canonical} is declared twice`);
      }
      for (const p of (op.parameters ?? []) as ParameterObject[]) {
        if (p.in === 'path') p.name = renames.get(p.name) ?? p.name;
      }
      target[method as (typeof METHODS)[number]] = op;
    }
  }
  return out;
}

/** Every path parameter declared, and every numeric one (ids go through IdPipe) an integer id. */
function finishParameters(path: string, method: string, op: OperationObject): void {
  const params = (op.parameters ?? []) as ParameterObject[];
  for (const name of [...path.matchAll(PARAM)].map((m) => m[1])) {
    const param = params.find((p) => p.in === 'path' && p.name === name);
    if (!param) {
      throw new Error(
        `OpenAPI: ${method.toUpperCase()} ${path} does not declare the path parameter "${name}" (add @ApiParam)`,
      );
    }
    const schema = param.schema as SchemaObject | undefined;
    if (schema?.type === 'number' || schema?.type === 'integer') {
      param.schema = { type: 'integer', minimum: 1, maximum: MAX_ID };
    }
  }
}

function errorDescription(status: number, codes: readonly ErrorCode[]): string {
  return `${STATUS_CODES[status] ?? 'Error'}; \`code\`: ${codes.join(', ')}`;
}

const codesWithStatus = (status: number) =>
  ERROR_CODES.filter((code) => ERROR_CATALOGUE[code].status === status);

/**
 * The error responses each operation can give, derived from what it is: input → 400, protected
 * → 401/403, path parameters → 404, writes → 409, bodies → 413/415, /api → 429, all → 503.
 * Responses a route declares itself (`@ApiErrors`, `@ApiResponse`) are kept.
 */
function addErrorResponses(
  path: string,
  method: string,
  op: OperationObject,
  route: RouteFacts,
): void {
  const hasBody = op.requestBody !== undefined;
  const statuses = new Set<number>([503]);
  if (route.readsInput || hasBody || (op.parameters?.length ?? 0) > 0) statuses.add(400);
  if (!route.isPublic) statuses.add(401).add(403);
  if (path.includes('{')) statuses.add(404);
  if (WRITES.has(method)) statuses.add(409);
  if (hasBody) statuses.add(413).add(415);
  if (path.startsWith('/api/')) statuses.add(429);

  for (const status of statuses) {
    op.responses[status] ??= { $ref: `#/components/responses/${errorResponseName(status)}` };
  }
  for (const [status, response] of Object.entries(op.responses)) {
    if (Number(status) >= 400 && response && !('$ref' in response)) {
      completeErrorResponse(Number(status), response);
    }
  }
}

const errorResponseName = (status: number) =>
  (STATUS_CODES[status] ?? `Error${status}`).replace(/[^A-Za-z0-9]/g, '');

/** An error response: the ErrorDto body, and Retry-After where the client should wait. */
function completeErrorResponse(status: number, response: ResponseObject): ResponseObject {
  response.content ??= {
    'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } },
  };
  if (status === 429 || status === 503) {
    response.headers ??= {
      'Retry-After': {
        description: 'Seconds to wait before retrying',
        schema: { type: 'integer', minimum: 0 },
      },
    };
  }
  return response;
}

/** The shared error responses the operations refer to, one per status in use. */
function errorResponses(document: OpenAPIObject): Record<string, ResponseObject> {
  const used = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const [, op] of operationsOf(item)) {
      for (const response of Object.values(op.responses)) {
        if (response && '$ref' in response) used.add(response.$ref);
      }
    }
  }
  const statuses = [...new Set(Object.values(ERROR_CATALOGUE).map((e) => e.status))];
  return Object.fromEntries(
    statuses
      .filter((status) => used.has(`#/components/responses/${errorResponseName(status)}`))
      .map((status) => [
        errorResponseName(status),
        completeErrorResponse(status, {
          description: errorDescription(status, codesWithStatus(status)),
        }),
      ]),
  );
}

function resolve(
  schema: SchemaObject | ReferenceObject | undefined,
  document: OpenAPIObject,
): SchemaObject | undefined {
  if (!schema || !('$ref' in schema)) return schema;
  const name = schema.$ref.split('/').pop() ?? '';
  return resolve(document.components?.schemas?.[name], document);
}

/** Every request body gets an example, from its fields' `example`s (or made from their schema). */
function addBodyExamples(op: OperationObject, document: OpenAPIObject): void {
  const body = op.requestBody as RequestBodyObject | undefined;
  for (const media of Object.values(body?.content ?? {})) {
    if (media.example !== undefined || media.examples !== undefined) continue;
    media.example = exampleOf(media.schema, (s) => resolve(s, document));
  }
}

/** `ErrorDto`: the one shape of every error; `code` is the catalogue, listed with statuses. */
function errorSchema(): SchemaObject & { 'x-error-catalogue': unknown } {
  const table = ERROR_CODES.map(
    (code) =>
      `| \`${code}\` | ${ERROR_CATALOGUE[code].status} | ${ERROR_CATALOGUE[code].description} |`,
  );
  return {
    type: 'object',
    description: 'Every error response (4xx and 5xx) has this shape.',
    required: ['statusCode', 'error', 'message', 'code', 'requestId'],
    properties: {
      statusCode: { type: 'integer', minimum: 400, maximum: 599, example: 404 },
      error: { type: 'string', description: 'The HTTP reason phrase', example: 'Not Found' },
      message: {
        type: 'string',
        description: 'What went wrong, naming the field or resource',
        example: 'Job 42 not found',
      },
      code: {
        type: 'string',
        enum: [...ERROR_CODES],
        description: [
          'What clients switch on:',
          '',
          '| code | status | meaning |',
          '| --- | --- | --- |',
          ...table,
        ].join('\n'),
        example: 'JOB_NOT_FOUND',
      },
      details: {
        description: 'Per-field problems (VALIDATION_FAILED) or a structured report',
      },
      requestId: {
        type: 'string',
        description: 'Also in the X-Request-Id header; quote it when reporting a problem',
        example: '0f9c2a4e-7d1b-4c59-9a53-1e2b3c4d5e6f',
      },
    },
    'x-error-catalogue': Object.fromEntries(
      ERROR_CODES.map((code) => [code, { ...ERROR_CATALOGUE[code] }]),
    ),
  };
}

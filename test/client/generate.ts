import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import * as prettier from 'prettier';
import ts from 'typescript';

/** The committed client types; `npm run client:generate` rewrites them from /docs-json. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.d.ts', import.meta.url));

const BLOB = ts.factory.createTypeReferenceNode('Blob');

/**
 * The TypeScript types of a document, as `openapi-fetch` takes them, formatted like the rest of
 * the code. Files (`format: binary`) are `Blob`s: what FormData takes and a download gives.
 */
export async function clientSchemaSource(document: OpenAPI3): Promise<string> {
  const nodes = await openapiTS(document, {
    silent: true,
    transform: (schema) => (schema.format === 'binary' ? BLOB : undefined),
  });
  const header = `${COMMENT_HEADER}// Generated from /docs-json by \`npm run client:generate\`.\n\n`;
  const options = await prettier.resolveConfig(SCHEMA_FILE);
  return prettier.format(header + astToString(nodes), { ...options, parser: 'typescript' });
}

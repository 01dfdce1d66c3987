import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';

type Resolve = (schema: SchemaObject | ReferenceObject | undefined) => SchemaObject | undefined;

const DEPTH_LIMIT = 4;

/**
 * An example value for a schema: its own `example`, else one made from its type and bounds, so
 * that every request body shows something valid even when its DTO names no example. A file
 * field gets a placeholder: a document cannot carry its bytes.
 */
export function exampleOf(
  raw: SchemaObject | ReferenceObject | undefined,
  resolve: Resolve,
  depth = 0,
): unknown {
  const schema = resolve(raw);
  if (!schema || depth > DEPTH_LIMIT) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  const first = schema.allOf?.[0] ?? schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (first) return exampleOf(first, resolve, depth + 1);
  switch (schema.type) {
    case 'object':
      return objectExample(schema, resolve, depth);
    case 'array': {
      const item = exampleOf(schema.items, resolve, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'integer':
    case 'number':
      return schema.minimum !== undefined && schema.minimum > 1 ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'string':
      return stringExample(schema);
    default:
      return schema.properties ? objectExample(schema, resolve, depth) : undefined;
  }
}

function objectExample(schema: SchemaObject, resolve: Resolve, depth: number): object {
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = exampleOf(property, resolve, depth + 1);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function stringExample(schema: SchemaObject): string {
  switch (schema.format) {
    case 'binary':
      return '(the file’s bytes)';
    case 'date-time':
      return '2030-01-31T12:00:00.000Z';
    case 'date':
      return '2030-01-31';
    case 'email':
      return 'ana@example.com';
    case 'uri':
      return 'https://example.com';
  }
  const text = 'Example text';
  const min = schema.minLength ?? 1;
  const max = schema.maxLength ?? Math.max(min, text.length);
  return text.padEnd(min, '.').slice(0, max);
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * @nestjs/swagger names each schema by its class: two DTO classes of one name silently become one
 * schema in the OpenAPI document (a route then documents, and the generated client types, the
 * other class's shape). So every exported class under src/ has a name of its own.
 */
describe('OpenAPI schema names', () => {
  it('no two exported classes share a name', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const file of sources('src')) {
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/^export class (\w+)/gm)) {
        const other = seen.get(name);
        if (other) clashes.push(`${name}: ${other} and ${file}`);
        else seen.set(name, file);
      }
    }
    expect(clashes).toEqual([]);
  });
});

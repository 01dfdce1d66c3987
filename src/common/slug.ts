import { randomBytes } from 'node:crypto';

/** Lower-case ASCII words joined by hyphens: "Café Lumière, NYC" → "cafe-lumiere-nyc". */
export function slugify(text: string, maxLength = 120): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’.]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
}

/** A short random suffix that makes a taken slug unique again. */
export function slugSuffix(): string {
  return randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(0, 6);
}

const SLUG_ATTEMPTS = 5;

/**
 * Inserts with a unique slug and no check-then-insert race: the unique constraint decides,
 * and a taken slug is retried with a random suffix. `suffixed` adds one from the start.
 */
export async function insertWithUniqueSlug<T>(
  base: string,
  isSlugTaken: (err: unknown) => boolean,
  insert: (slug: string) => Promise<T>,
  suffixed = false,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const slug = attempt === 0 && !suffixed ? base : `${base}-${slugSuffix()}`;
    try {
      return await insert(slug);
    } catch (err) {
      if (!isSlugTaken(err) || attempt + 1 >= SLUG_ATTEMPTS) throw err;
    }
  }
}

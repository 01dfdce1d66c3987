import type { FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';

/** The properties of `o` that were actually sent (not undefined). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Applies the fields of a PATCH that were sent to the row `id`; false when there is no such row
 * (an empty PATCH only checks that it exists).
 */
export async function patchById<E extends ObjectLiteral & { id: number }>(
  repo: Repository<E>,
  id: number,
  dto: object,
): Promise<boolean> {
  const where = { id } as FindOptionsWhere<E>;
  const changes = definedOnly(dto);
  if (Object.keys(changes).length === 0) return repo.existsBy(where);
  return Boolean((await repo.update(where, changes as never)).affected);
}

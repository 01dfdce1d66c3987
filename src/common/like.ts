/** Escapes LIKE wildcards so user text matches literally (the query uses ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

import { hash, verify } from '@node-rs/argon2';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { AppError } from '../common/error-codes.js';

// argon2id with the OWASP-recommended minimum (19 MiB, 2 passes); runs on libuv's thread pool.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * zxcvbn's score 3 means "safely unguessable" (≥ 10^8 guesses): it refuses the common-password
 * lists (top passwords, with l33t and reversed variants), keyboard walks, repeats, sequences,
 * dates, dictionary words alone and the user's own e-mail or name.
 */
export const MIN_PASSWORD_SCORE = 3;

/**
 * The check runs on the event loop, and its cost grows fast with length and with l33t-able
 * characters: with the library's defaults a crafted 128-character password took ~1 s here.
 * Judging the first 40 characters with at most 4 l33t substitutions keeps it to ~16 ms median
 * and ~60 ms worst measured; 40 characters that are not guessable make a strong password whatever
 * follows them.
 */
const JUDGED_LENGTH = 40;
const MAX_L33T_SUBSTITUTIONS = 4;

let estimator: Promise<ZxcvbnFactory> | undefined;
/**
 * Loaded and built on first use (~0.6 s to index): the word lists alone take ~13 MB of heap and
 * ~39 MB of RSS, which a process that never judges a password (a worker serving reads, the
 * embedded app at idle) need not hold.
 */
const strength = () =>
  (estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      translations: english.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...english.dictionary },
      maxLength: JUDGED_LENGTH,
      l33tMaxSubstitutions: MAX_L33T_SUBSTITUTIONS,
    });
  })());

/**
 * Refuses an easily guessed password with 400 WEAK_PASSWORD saying why. The password is judged
 * exactly as sent: nothing is trimmed or changed, here or anywhere.
 */
export async function assertStrongPassword(password: string, personal: string[]): Promise<void> {
  const inputs = personal.flatMap((v) => [v, ...v.split(/[^\p{L}\p{N}]+/u)]).filter(Boolean);
  const result = (await strength()).check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return;
  const why = result.feedback.warning ?? 'It would be guessed quickly.';
  const hints = result.feedback.suggestions;
  throw new AppError(
    'WEAK_PASSWORD',
    `password is too easy to guess: ${why}${hints.length ? ` ${hints.join(' ')}` : ''}`,
    [{ field: 'password', message: why, suggestions: hints }],
  );
}

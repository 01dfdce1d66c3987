/** Polls `check` until it returns true or the deadline passes; returns the last result. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

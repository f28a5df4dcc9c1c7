/**
 * The first value `check` gives other than `undefined` or `false`, asked again every few
 * milliseconds. The timeout bounds "never", not a speed: it is generous on purpose, so that only a
 * value that never comes fails, however busy the machine.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

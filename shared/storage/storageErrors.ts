/**
 * The HTTP status of a failed Azure Storage call (the SDKs' RestError carries `statusCode`), and the common "absent is
 * not an error" read: a 404 (or another named status, such as 412 after a lost etag race) becomes `undefined`.
 */

export const statusOf = (err: unknown): number | undefined => {
  const status = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
};

export async function orUndefined<T>(work: Promise<T>, ...statuses: number[]): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (statuses.includes(statusOf(err) ?? 0)) return undefined;
    throw err;
  }
}

/**
 * What a promise rejects with, for tests that look at the error; a promise that resolves fails
 * the test.
 *
 * @example
 *   const error = await rejection(registry.getVersion('flights', 99));
 *   expect(error).toBeInstanceOf(NotFoundError);
 */
export async function rejection<E = unknown>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}

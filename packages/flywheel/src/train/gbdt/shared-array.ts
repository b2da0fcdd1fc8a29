type TypedArrayType<T> = { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };

/** A typed array of `length` zeros on a SharedArrayBuffer, which worker threads can share. */
export function sharedArray<T>(Type: TypedArrayType<T>, length: number): T {
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
}

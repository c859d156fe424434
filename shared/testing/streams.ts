/** A web stream of `bytes` cut into chunks of `chunkSize` (to test chunk-boundary handling). */
export function streamOf(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + chunkSize, bytes.length);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
  });
}

/** A web stream over the chunks of a (sync) generator, e.g. {@link generateExport}. */
export function streamFrom(chunks: Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const r = it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
  });
}

/** Concatenates chunks. */
export function concatBytes(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of list) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

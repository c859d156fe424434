import type { IncomingMessage } from "node:http";

const iterators = new WeakMap<IncomingMessage, AsyncIterator<Buffer>>();

function iteratorOf(req: IncomingMessage): AsyncIterator<Buffer> {
  let it = iterators.get(req);
  if (!it) {
    it = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    iterators.set(req, it);
  }
  return it;
}

/**
 * The request body as chunks. Unlike iterating `req` directly, stopping early does not destroy
 * the request, so an error can still be answered and the rest drained with {@link discardBody}.
 */
export async function* bodyChunks(req: IncomingMessage): AsyncGenerator<Buffer> {
  const it = iteratorOf(req);
  for (;;) {
    const next = await it.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Reads and drops what is left of a request body after an early answer, so the client, still
 * sending, gets to read that answer. Bodies with more than `limit` bytes left are cut off instead.
 */
export async function discardBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<void> {
  if (req.complete || req.destroyed) return;
  if (!iterators.has(req)) {
    // Nothing read yet: Node dumps unread bodies by itself once the response is finished.
    return;
  }
  let seen = 0;
  try {
    for await (const chunk of bodyChunks(req)) {
      seen += chunk.length;
      if (seen > limit) {
        req.destroy();
        return;
      }
    }
  } catch {
    // The client went away; nothing to drain.
  }
}

import type { ServerResponse } from "node:http";
import { Transform, type Readable } from "node:stream";

/**
 * Bodies up to this size are never refused for the budget, nor counted by the byte: almost
 * every GitHub delivery is far smaller, and the hot path pays nothing for it.
 */
export const FREE_BODY_BYTES = 64 * 1024;

/** The budget when none is given: two bodies of GitHub's maximum size, or 64 MiB. */
export function defaultBodyBudget(bodyLimit: number): number {
  return Math.max(64 * 1024 * 1024, 2 * bodyLimit);
}

/** Raised into the body stream of a chunked request that outgrows the budget: answered 503. */
export class BodyBudgetExceeded extends Error {
  // Fastify turns a body-stream error without a status into a 400.
  readonly statusCode = 503;
}

/**
 * How many bytes of request bodies the webhook listener holds at once. Bodies are buffered
 * whole before the signature can be checked, so without a bound a handful of unsigned
 * senders that declare 25 MiB each and send slowly would hold gigabytes for the request
 * timeout. A body over FREE_BODY_BYTES is admitted only while the bytes in flight stay
 * within `limitBytes`: its declared length is reserved before a byte is read (a chunked
 * one is counted as it arrives), and released when its answer is sent or the connection
 * drops. What is turned away is answered 503 and stored nothing: GitHub shows a failed
 * delivery that can be redelivered.
 *
 * @example
 * const budget = createBodyBudget(64 * 1024 * 1024);
 * const refusal = budget.admit(reply.raw, Number(request.headers["content-length"])); // null: go on reading
 */
export function createBodyBudget(limitBytes: number) {
  let inFlight = 0;

  // Released by whichever comes first: the answer's end, or the connection's. A pipelined
  // request whose answer waits behind another's never sees its response close when the
  // socket dies, so the response alone would leak its reservation for good.
  const holdUntilAnswered = (response: ServerResponse, bytes: () => number) => {
    const socket = response.req.socket;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      inFlight -= bytes();
      response.off("close", release);
      socket.off("close", release);
    };
    response.once("close", release);
    socket.once("close", release);
  };

  const describe = () =>
    `${Math.ceil(inFlight / 1024)} KiB of request bodies are being received already (the listener holds at most ${Math.ceil(limitBytes / 1024)} KiB at once)`;

  return {
    /** Bytes of bodies held now. */
    get inFlight(): number {
      return inFlight;
    },
    /**
     * A request that declares its length: null when it may be read (its length reserved
     * until it is answered), else why not, for a 503. Call once per request, before its
     * body is read and after the checks that refuse it without reading.
     */
    admit(response: ServerResponse, declared: number): string | null {
      if (declared <= FREE_BODY_BYTES) return null;
      if (inFlight + declared > limitBytes) return `${describe()}; a body of ${Math.ceil(declared / 1024)} KiB must wait`;
      inFlight += declared;
      holdUntilAnswered(response, () => declared);
      return null;
    },
    /**
     * A chunked body (no Content-Length), counted as it arrives: the stream to read instead
     * of `body`, which fails with BodyBudgetExceeded once the body outgrows the budget.
     * Senders almost never chunk (GitHub does not), so the extra stream costs nothing that matters.
     */
    meter(body: Readable, response: ServerResponse): Readable {
      let received = 0;
      // Until the answer goes out (or the connection drops). What a sender sends after that
      // (a body over the limit, drained while the 413 lingers) is no one's: not counted, not kept.
      let held = true;
      holdUntilAnswered(response, () => {
        held = false;
        return received;
      });
      const metered = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (!held) {
            callback();
            return;
          }
          if (received + chunk.length > FREE_BODY_BYTES && inFlight + chunk.length > limitBytes) {
            callback(new BodyBudgetExceeded(`${describe()}; this chunked body passed ${Math.ceil(received / 1024)} KiB`));
            return;
          }
          received += chunk.length;
          inFlight += chunk.length;
          callback(null, chunk);
        },
      });
      // The body reader stops listening once it gave up on the body (a 413): an error after
      // that is no one's to answer, and unheard it would take the process down.
      metered.on("error", () => undefined);
      body.on("error", (error) => metered.destroy(error));
      return body.pipe(metered);
    },
  };
}

export type BodyBudget = ReturnType<typeof createBodyBudget>;

import type { Socket } from "node:net";

/** How long, and how much, a connection answered before its body arrived is read and discarded before it is closed. */
export interface LingerLimits {
  /** The most time spent discarding, from the answer. */
  maxMs: number;
  /** Closed sooner when nothing arrives for this long. */
  idleMs: number;
  /** Closed sooner once this many bytes were discarded. */
  maxBytes: number;
}

/** nginx's lingering_time / lingering_timeout, shortened: GitHub gives up on a delivery after 10 s. */
export const DEFAULT_LINGER: LingerLimits = Object.freeze({ maxMs: 10_000, idleMs: 2_000, maxBytes: 64 * 1024 ** 2 });

const lingering = new WeakSet<Socket>();

/**
 * Makes the close that follows an answer a lingering close, as nginx does
 * (https://nginx.org/en/docs/http/ngx_http_core_module.html#lingering_close): half-close
 * (the FIN follows the answer), keep reading what the client still sends and throw it away,
 * and only then close, once the client closes its side or a limit is reached.
 *
 * Why: when a request is refused before its body has arrived (a 413, a 429), Node closes
 * the socket as soon as the answer is written. Bytes the client is still sending then reach
 * a closed socket, the kernel answers them with a reset, and a client that writes its whole
 * body before reading (many do) gets EPIPE/ECONNRESET instead of the answer waiting in its
 * receive buffer. Nothing is buffered while lingering, and every limit is bounded, so a
 * client cannot hold the connection beyond `limits`.
 *
 * Node's HTTP server ends a `connection: close` response with `socket.destroySoon()`; this
 * replaces that method on this one socket. Call it before the answer is sent, and send the
 * answer with `connection: close`.
 *
 * @example
 * if (!request.raw.complete) { reply.header("connection", "close"); lingerClose(request.raw.socket); }
 */
export function lingerClose(socket: Socket, limits: LingerLimits = DEFAULT_LINGER): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.destroyed) return;
    const from = this.bytesRead;
    let seen = from;
    let quietSince = Date.now();
    const close = () => this.destroy();
    // Checked on a timer, not per chunk: Node's HTTP parser may read the socket natively,
    // so 'data' events are not a reliable count, bytesRead is.
    const watch = setInterval(() => {
      const read = this.bytesRead;
      if (read - from > limits.maxBytes) return close();
      if (read !== seen) {
        seen = read;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= limits.idleMs) close();
    }, Math.max(10, Math.min(250, limits.idleMs / 4)));
    const deadline = setTimeout(close, limits.maxMs);
    watch.unref();
    deadline.unref();
    this.once("close", () => {
      clearInterval(watch);
      clearTimeout(deadline);
    });
    // The client closed its side: it has sent everything and read the answer.
    this.once("end", close);
    // Keep reading (and discarding) even if something paused the socket.
    this.resume();
    this.end();
  };
}

import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { libpqSslModes } from "../../../src/store/postgres/pg-pool.js";
import { createPostgresStore } from "../../../src/store/postgres/postgres-store.js";
import { TEST_CERTIFICATE, TEST_CERTIFICATE_KEY } from "./self-signed-certificate.js";

/**
 * A server that speaks just enough PostgreSQL to start TLS: it answers the client's
 * SSLRequest with `S`, then presents a self-signed certificate; a client that gets through the
 * handshake is counted and hung up on.
 */
function startTlsOnlyServer() {
  let handshakes = 0;
  const server: Server = createServer((socket: Socket) => {
    socket.once("data", () => {
      socket.write("S");
      const tls = new TLSSocket(socket, { isServer: true, key: TEST_CERTIFICATE_KEY, cert: TEST_CERTIFICATE });
      tls.on("secure", () => {
        handshakes++;
        tls.destroy();
      });
      tls.on("error", () => tls.destroy());
    });
    socket.on("error", () => socket.destroy());
  });
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))),
    handshakes: () => handshakes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function openFailure(url: string): Promise<unknown> {
  const store = createPostgresStore(url);
  try {
    return await store.migrate().then(
      () => null,
      (thrown: unknown) => thrown,
    );
  } finally {
    await store.close();
  }
}

describe("DATABASE_URL's sslmode, as libpq reads it", () => {
  const fake = startTlsOnlyServer();
  let base = "";
  beforeAll(async () => {
    base = `postgres://app:secret@127.0.0.1:${await fake.listen()}/switchyard`;
  });
  afterAll(() => fake.close());

  it("sslmode=require encrypts without verifying the certificate: the handshake with a self-signed one goes through", async () => {
    const before = fake.handshakes();
    const error = await openFailure(`${base}?sslmode=require`);
    // The fake hangs up after the handshake: the open fails, but not on the certificate.
    expect(fake.handshakes()).toBe(before + 1);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toMatch(/certificate/);
  });

  it("sslmode=verify-full refuses a certificate no CA vouches for: a usage error naming both ways out", async () => {
    const error = await openFailure(`${base}?sslmode=verify-full`);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "cannot use the database postgres://***@127.0.0.1:" +
        new URL(base).port +
        "/switchyard?sslmode=verify-full: the server's TLS certificate did not verify (self-signed certificate): give the certificate of the CA that signed it with sslrootcert=FILE in DATABASE_URL, or write sslmode=require to encrypt without verifying the server",
    );
  });

  it("sslmode=verify-ca without the CA's certificate is a usage error", async () => {
    const error = await openFailure(`${base}?sslmode=verify-ca`);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/: sslmode=verify-ca needs the CA's certificate: add sslrootcert=FILE to DATABASE_URL/);
  });

  it("sslmode=no-verify, pg's own mode, still encrypts without verifying", async () => {
    const before = fake.handshakes();
    const error = await openFailure(`${base}?sslmode=no-verify`);
    expect(fake.handshakes()).toBe(before + 1);
    expect((error as Error).message).not.toMatch(/certificate/);
  });

  it("leaves a URL without sslmode, with pg's no-verify, or one that chose pg's reading itself, as it is", () => {
    expect(libpqSslModes("postgres://db/sy")).toBe("postgres://db/sy");
    expect(libpqSslModes("postgres://db/sy?sslmode=no-verify")).toBe("postgres://db/sy?sslmode=no-verify");
    expect(libpqSslModes("postgres://db/sy?sslmode=require")).toBe("postgres://db/sy?sslmode=require&uselibpqcompat=true");
    expect(libpqSslModes("postgres://db/sy?sslmode=require&uselibpqcompat=false")).toBe("postgres://db/sy?sslmode=require&uselibpqcompat=false");
  });
});

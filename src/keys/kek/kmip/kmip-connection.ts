// One mutually authenticated TLS connection to a KMIP server, carrying one request at a time (KMIP over TLS is
// strictly request → response; KMIP 2.1 §13, port 5696).
import {
  checkServerIdentity,
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { isIP } from 'node:net';
import { ttlvFrameLength } from './ttlv.ts';

export interface KmipTlsOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the CA(s) that issued the server's certificate. The system store is not used. */
  readonly ca: Buffer;
  /** PEM: this client's certificate (chain) and private key, for TLS client authentication. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The name the server certificate must carry; default `host` (an IP address is checked as an IP SAN). */
  readonly serverName?: string;
  /** Connect + handshake, and each request's answer. */
  readonly timeoutMs: number;
  /** Close an idle connection after this long (servers drop idle clients; PyKMIP after about 10 s). */
  readonly idleMs?: number;
}

/** Network or TLS failure, timeout, or a malformed frame: the server cannot be used right now. */
export class KmipTransportError extends Error {
  override readonly name = 'KmipTransportError';
  /** The Node error code (ECONNREFUSED, ERR_SSL_…, CERT_…) when there is one. */
  readonly code: string | undefined;
  constructor(message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** Responses over this size are refused (a DSV exchange is a few hundred bytes). */
const MAX_RESPONSE = 1 << 20;

export class KmipConnection {
  readonly #options: KmipTlsOptions;
  /** CA, certificate and private key, loaded once into OpenSSL: the caller may wipe its key buffer. */
  readonly #context: SecureContext;
  #socket: TLSSocket | undefined;
  /** Requests already answered on #socket: a failure on a reused connection is retried once on a new one. */
  #served = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: KmipTlsOptions) {
    this.#options = options;
    try {
      this.#context = createSecureContext({
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        minVersion: 'TLSv1.2',
      });
    } catch (error) {
      // OpenSSL's reason (e.g. "PEM routines::no start line"), never the file contents.
      throw new KmipTransportError(
        `the TLS credentials cannot be loaded: ${(error as Error).message}`,
        'ERR_TLS_CREDENTIALS',
      );
    }
  }

  /** Sends one encoded Request Message and resolves with the encoded Response Message; serialised. */
  roundTrip(request: Uint8Array): Promise<Buffer> {
    const run = this.#queue.then(() => this.#roundTrip(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#closed = true;
    this.#drop();
  }

  async #roundTrip(request: Uint8Array): Promise<Buffer> {
    if (this.#closed) throw new KmipTransportError('the connection is closed');
    clearTimeout(this.#idleTimer);
    const reused = this.#socket !== undefined && this.#served > 0;
    try {
      return await this.#exchange(request);
    } catch (error) {
      this.#drop();
      // The server may have closed an idle connection just as we wrote: once, on a fresh one.
      if (!reused || !(error instanceof KmipTransportError) || error.code === 'ETIMEDOUT') throw error;
      return await this.#exchange(request);
    } finally {
      this.#armIdle();
    }
  }

  async #exchange(request: Uint8Array): Promise<Buffer> {
    const socket = this.#socket ?? (await this.#connect());
    const response = await exchange(socket, request, this.#options.timeoutMs);
    this.#served += 1;
    return response;
  }

  #connect(): Promise<TLSSocket> {
    const { host, port, timeoutMs } = this.#options;
    const serverName = this.#options.serverName ?? host;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port,
        secureContext: this.#context,
        rejectUnauthorized: true,
        // SNI carries names only; an IP host is still checked against the certificate's IP SANs.
        ...(isIP(serverName) === 0 ? { servername: serverName } : {}),
        // Node's own check, against the configured name rather than the dialled host.
        checkServerIdentity: (_host: string, peer: PeerCertificate) => checkServerIdentity(serverName, peer),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new KmipTransportError(`no TLS connection to ${host}:${port} within ${timeoutMs} ms`, 'ETIMEDOUT'),
        );
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        // Errors between requests are seen by the next exchange (a destroyed socket); never unhandled.
        socket.on('error', () => undefined);
        socket.once('close', () => {
          if (this.#socket === socket) this.#drop();
        });
        this.#socket = socket;
        this.#served = 0;
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(transportError(`cannot connect to the KMIP server ${host}:${port}`, error));
      });
    });
  }

  #armIdle(): void {
    if (this.#socket === undefined) return;
    this.#idleTimer = setTimeout(() => this.#drop(), this.#options.idleMs ?? 5000);
    this.#idleTimer.unref();
  }

  #drop(): void {
    clearTimeout(this.#idleTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }
}

function transportError(what: string, error: NodeJS.ErrnoException): KmipTransportError {
  const code = error.code;
  return new KmipTransportError(`${what}: ${code ?? error.message}`, code, error);
}

/** Writes the request, reads exactly one TTLV frame back. */
function exchange(socket: TLSSocket, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let expected: number | undefined;
    let done = false;
    const finish = (error: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      const joined = error === undefined ? Buffer.concat(chunks) : undefined;
      for (const chunk of chunks) chunk.fill(0); // Decrypt answers carry a DEK
      if (error !== undefined) reject(error);
      else resolve(joined as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (expected === undefined && received >= 8) {
        try {
          expected = ttlvFrameLength(Buffer.concat(chunks).subarray(0, 8));
        } catch (error) {
          finish(new KmipTransportError(`the server sent a malformed frame: ${(error as Error).message}`));
          return;
        }
        if (expected > MAX_RESPONSE) {
          finish(new KmipTransportError(`the server announced a ${expected}-byte response`));
          return;
        }
      }
      if (expected !== undefined && received > expected) {
        finish(new KmipTransportError('the server sent more than one response'));
      } else if (expected !== undefined && received === expected) {
        finish(undefined);
      }
    };
    const onClose = (): void =>
      finish(new KmipTransportError('the KMIP server closed the connection before answering', 'ECONNRESET'));
    const onError = (error: NodeJS.ErrnoException): void =>
      finish(transportError('the KMIP connection failed', error));
    const timer = setTimeout(() => {
      socket.destroy();
      finish(new KmipTransportError(`no answer from the KMIP server within ${timeoutMs} ms`, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(request);
  });
}

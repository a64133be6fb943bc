import { createServer, type Server } from 'node:https';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Socket } from 'node:net';
import { type TLSSocket } from 'node:tls';

/** Reads a whole request body as UTF-8 (the simulator's bodies are small JSON documents). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Replaces the value of every `sig` query parameter, so logs never hold a usable callback signature. */
export function redactSignature(text: string): string {
  return text.replace(/([?&]sig=)[^&"\s]*/gi, '$1REDACTED').replace(/("sig"\s*:\s*")[^"]*/g, '$1REDACTED');
}

/**
 * An HTTPS listener on 127.0.0.1 that remembers its port and its sockets, so it can be closed with every
 * connection cut (refused / stop) and reopened on the same port (callback URLs stay valid). It numbers its
 * TLS connections (1, 2, ... for the listener's lifetime, across reopenings), so the request log shows which
 * requests a client sent over one kept-alive connection.
 */
export class TrackedHttpsListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly connections = new WeakMap<Socket, number>();
  private connectionCount = 0;
  private boundPort = 0;

  constructor(
    private readonly tls: { cert: string; key: string },
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** The number of the TLS connection a request came in on (see the class comment). */
  connectionOf(socket: Socket): number | undefined {
    return this.connections.get(socket);
  }

  private opening: Promise<number> | undefined;

  /** Idempotent, also while an earlier open is still binding (fault changes can arrive back to back). */
  open(port = this.boundPort): Promise<number> {
    if (this.server) return Promise.resolve(this.boundPort);
    this.opening ??= this.bind(port).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async bind(port: number): Promise<number> {
    const server = createServer({ cert: this.tls.cert, key: this.tls.key }, this.handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      this.connectionCount += 1;
      this.connections.set(socket, this.connectionCount);
    });
    // A client that resets mid-handshake must not crash the simulator.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    if (address && typeof address === 'object') this.boundPort = address.port;
    return this.boundPort;
  }

  /** Stops listening and destroys every open connection. */
  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }
}

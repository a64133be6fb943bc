// Identity-based access (namespace + TokenCredential) pointed at the local broker over AMQPS.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceBusBroker, type ServiceBusBroker } from '../../../local/sim/servicebus';

const run = promisify(execFile);

describe('notifier with a TokenCredential and customEndpointAddress (TLS, self-signed)', () => {
  let broker: ServiceBusBroker;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [
        { name: 'basicConstraints', cA: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), 'sb-tls-'));
    caFile = join(dir, 'broker-ca.pem');
    await writeFile(caFile, pems.cert);
    broker = await startServiceBusBroker({
      queues: ['dr-events'],
      tls: { key: pems.private, cert: pems.cert },
    });
  });

  afterAll(async () => {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates with a JWT for the real namespace audience, and an empty token is UnauthorizedAccess', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'send-with-credential.ts')],
      {
        cwd: join(__dirname, '..', '..', '..'),
        timeout: 30_000,
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: caFile,
          SB_NAMESPACE: 'contoso-dr.servicebus.windows.net',
          SB_ENDPOINT: `sb://${broker.namespaceEndpoint}`,
          SB_QUEUE: 'dr-events',
        },
      },
    );
    const [ok, empty] = JSON.parse(stdout) as Record<string, unknown>[];
    expect(ok).toEqual({ ok: true, scopes: ['https://servicebus.azure.net//.default'] });
    expect(empty).toMatchObject({ ok: false, name: 'NotifyTerminalError', code: 'UnauthorizedAccess' });

    // The SDK kept the namespace name for the token audience while connecting to the local endpoint.
    expect(broker.tokens().map((t) => [t.audience, t.tokenType, t.accepted])).toEqual([
      ['sb://contoso-dr.servicebus.windows.net/dr-events', 'jwt', true],
      ['sb://contoso-dr.servicebus.windows.net/dr-events', 'jwt', false],
    ]);
    expect(broker.messages('dr-events')).toMatchObject([
      { messageId: 'id-ok', correlationId: 'op-identity', body: { data: { via: 'managed-identity' } } },
    ]);
  });
});

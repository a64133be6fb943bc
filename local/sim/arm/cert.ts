import { generate } from 'selfsigned';

/** A throw-away CA and a server certificate it signed for 127.0.0.1 / localhost. */
export interface SimCertificates {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/**
 * Generates a fresh CA and a server certificate at start-up. Clients trust `caCertPem` (an https.Agent `ca`
 * or NODE_EXTRA_CA_CERTS); a CA rather than a bare self-signed leaf keeps the leaf a normal server cert.
 */
export async function generateSimCertificates(): Promise<SimCertificates> {
  // EC keys: ~30 ms instead of seconds for RSA, which matters when every test file starts a simulator.
  const ca = await generate([{ name: 'commonName', value: 'logic-apps-failover ARM simulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { caCertPem: ca.cert, serverCertPem: server.cert, serverKeyPem: server.private };
}

/**
 * `npm start`: runs the function app in-process on the wall clock (no Functions Core Tools needed).
 * Composition root: the only host file that reads process.env.
 *
 *   FUNCTIONS_FILES         comma-separated files / directories / `dir/*.ts` (default: functions)
 *   FUNCTIONS_HTTP_PORT     listener port (default 7071, as `func start`)
 *   DURABLE_STORE_DIR       instance histories and timer status (default .durable-store)
 *   FUNCTIONS_KEYS          comma-separated keys for authLevel function
 *   FUNCTIONS_MASTER_KEY    master key, also the system key of every Durable route (default: random, never shown)
 *   FUNCTIONS_MAX_BODY_BYTES  largest /api request body (default 65536; 413 beyond it)
 *   DURABLE_TASK_HUB        task hub name in management URLs (default InProcHub)
 *   DURABLE_CHECK_DETERMINISM=true   replay every episode twice
 * Every environment variable is also an app setting for `%NAME%` binding expressions, as in Azure.
 */
import { startFunctionsHost } from './host';

async function main(): Promise<void> {
  const env = process.env;
  const list = (v: string | undefined): string[] =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const files = process.argv.length > 2 ? process.argv.slice(2) : list(env.FUNCTIONS_FILES ?? 'functions');
  const port = Number(env.FUNCTIONS_HTTP_PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`FUNCTIONS_HTTP_PORT '${env.FUNCTIONS_HTTP_PORT}' is not a port number`);
  }
  const maxBody = env.FUNCTIONS_MAX_BODY_BYTES?.trim() || undefined;
  if (maxBody !== undefined && !(Number.isInteger(Number(maxBody)) && Number(maxBody) > 0)) {
    throw new Error(`FUNCTIONS_MAX_BODY_BYTES '${maxBody}' is not a positive whole number of bytes`);
  }
  const host = await startFunctionsHost({
    files,
    settings: { ...env },
    clock: 'real',
    httpPort: port,
    storeDir: env.DURABLE_STORE_DIR ?? '.durable-store',
    functionKeys: list(env.FUNCTIONS_KEYS),
    masterKey: env.FUNCTIONS_MASTER_KEY,
    ...(maxBody ? { maxBodyBytes: Number(maxBody) } : {}),
    taskHubName: env.DURABLE_TASK_HUB,
    checkDeterminism: env.DURABLE_CHECK_DETERMINISM === 'true',
    log: (e) => {
      const line = `[${e.level}] ${e.functionName ? `${e.functionName}: ` : ''}${e.message}`;
      if (e.level === 'error' || e.level === 'critical' || e.level === 'warning') console.error(line);
      else if (e.category !== 'system' || e.level !== 'debug') console.log(line);
    },
  });
  console.log(`In-process Functions host listening on ${host.url}`);
  for (const r of host.registrations) {
    const detail =
      r.kind === 'http'
        ? `${r.http!.methods.join(',')} ${host.url}/api/${r.http!.route}`
        : r.kind === 'timer'
          ? `schedule ${r.timer!.schedule}`
          : r.kind;
    console.log(`  ${r.name}: ${detail}`);
  }
  const shutdown = (): void => {
    void host.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

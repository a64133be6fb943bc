// `npm run drill`: the scripted game day (see command.ts); exit 0 when every invariant held.
import { join } from 'node:path';
import { drillCommand } from './command';

const simKey = process.env.DR_SIM_KEY?.trim();
drillCommand(process.argv.slice(2), {
  rootDir: join(__dirname, '../..'),
  ...(simKey ? { simKey } : {}),
}).then(
  (result) => process.exit(result.exitCode),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);

/** The operator CLI in-process, with its output captured: what `npx dr` would print and exit with. */
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

export async function runDr(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env };
  const code = await main(args, io);
  return { code, out, err };
}

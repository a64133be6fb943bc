/**
 * The real Bicep CLI, for `npm run infra:check` and the infra tests: where to find it, how to run it, and how to
 * read what it reports. scripts/install-bicep.sh puts the binary from NuGet in .tools/bicep/<version>/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');
/** What a machine without the CLI is told (tests print it when they skip). */
export const INSTALL_HINT =
  'install the Bicep CLI (az bicep install), or run scripts/install-bicep.sh (NuGet, needs the .NET SDK), or set BICEP_CLI';

/**
 * The Bicep CLI to run: $BICEP_CLI, else the newest one scripts/install-bicep.sh installed, else `bicep` on the
 * PATH, else the one `az bicep install` keeps in ~/.azure/bin. Undefined when there is none.
 */
export function findBicep(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.BICEP_CLI?.trim();
  if (configured) return existsSync(configured) ? configured : undefined;
  const tools = join(REPO_ROOT, '.tools', 'bicep');
  if (existsSync(tools)) {
    const versions = readdirSync(tools)
      .filter((v) => existsSync(join(tools, v, 'bicep')))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const newest = versions.at(-1);
    if (newest) return join(tools, newest, 'bicep');
  }
  const onPath = spawnSync('bicep', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'bicep';
  const az = join(homedir(), '.azure', 'bin', 'bicep');
  return existsSync(az) ? az : undefined;
}

export interface BicepDiagnostic {
  /** Repository-relative path, forward slashes. */
  file: string;
  line: number;
  column: number;
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  message: string;
}

const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\) : (Error|Warning|Info) ([A-Za-z0-9-]+): (.*)$/;

/** The CLI's default diagnostics format, one per line; the same finding reported twice is kept once. */
export function parseDiagnostics(text: string, root = REPO_ROOT): BicepDiagnostic[] {
  const seen = new Map<string, BicepDiagnostic>();
  for (const line of text.split(/\r?\n/)) {
    const m = DIAGNOSTIC.exec(line.trim());
    if (!m) continue;
    const [, path, l, c, level, code, message] = m;
    const file = relative(root, path!).split('\\').join('/');
    const d: BicepDiagnostic = {
      file,
      line: Number(l),
      column: Number(c),
      level: level as BicepDiagnostic['level'],
      code: code!,
      message: message!,
    };
    seen.set(`${file}:${d.line}:${d.column}:${d.code}`, d);
  }
  return [...seen.values()];
}

export interface AllowEntry {
  code: string;
  file: string;
  /** Text the message must contain, so an entry allows one finding and not every finding of its code. */
  contains: string;
  reason: string;
}

export interface Verdict {
  /** Errors, and warnings no allowlist entry covers. */
  refused: BicepDiagnostic[];
  allowed: { diagnostic: BicepDiagnostic; entry: AllowEntry }[];
  /** Entries that matched nothing: the finding is gone, so the entry must go too. */
  stale: AllowEntry[];
}

/** Warnings are errors except those an allowlist entry (with a reason) names; errors are never allowed. */
export function judge(diagnostics: BicepDiagnostic[], allow: AllowEntry[]): Verdict {
  const used = new Set<AllowEntry>();
  const verdict: Verdict = { refused: [], allowed: [], stale: [] };
  for (const d of diagnostics) {
    const entry =
      d.level === 'Error'
        ? undefined
        : allow.find((a) => a.code === d.code && a.file === d.file && d.message.includes(a.contains));
    if (entry) {
      used.add(entry);
      verdict.allowed.push({ diagnostic: d, entry });
    } else if (d.level !== 'Info') verdict.refused.push(d);
  }
  verdict.stale = allow.filter((a) => !used.has(a));
  return verdict;
}

/** Checks the allowlist's shape: each entry needs a code, a file, the text it matches and a reason. */
export function parseAllowlist(text: string, where: string): AllowEntry[] {
  const doc = JSON.parse(text) as { allow?: unknown };
  if (!Array.isArray(doc.allow)) throw new Error(`${where}: expected { "allow": [ ... ] }`);
  return doc.allow.map((e: Record<string, unknown>, i) => {
    for (const k of ['code', 'file', 'contains', 'reason'] as const) {
      if (typeof e[k] !== 'string' || e[k].trim() === '')
        throw new Error(`${where}: allow[${i}].${k} must be a non-empty string`);
    }
    return e as unknown as AllowEntry;
  });
}

/** Runs the CLI; its diagnostics come on stderr whatever the exit code. */
export function runBicep(cli: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cli, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`cannot run ${cli}: ${r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** The ARM JSON `bicep build` makes of one template (repository-relative path). Throws on a compile error. */
export function compileToArm(cli: string, file: string): Record<string, unknown> {
  const stdout = execFileSync(cli, ['build', join(REPO_ROOT, file), '--stdout'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

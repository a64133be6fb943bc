/**
 * `npm run package`: the Function App package exactly as it ships to Azure, from `npm run build`: every file of
 * the clone that `.funcignore` does not exclude (gitignore syntax, as `func` and azd read it) plus the
 * production dependencies (`npm ls --omit=dev`). `--out DIR` copies it there, with the failover plan
 * (DR_PLAN_FILE, default examples/plan.json, checked by the project's rules) at PLAN_IN_PACKAGE, the path the
 * app setting DR_PLAN_PATH names; the summary says what and how big. azd runs `npm run package` and deploys
 * `.package/` (azure.yaml `dist`), so dev dependencies never ship.
 * test/package/package.test.ts asserts that nothing from local/ and no local-only dependency is in it.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePlan } from '../src/plan/load';

/** Where the plan goes in the package: infra/main.bicep's planPath (DR_PLAN_PATH, relative to the app root). */
export const PLAN_IN_PACKAGE = 'plan/plan.json';

interface IgnoreRule {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
  /** Matched against the whole relative path (pattern had a slash before its end), else against the name. */
  anchored: boolean;
}

function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function parseIgnore(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      let p = negate ? line.slice(1) : line;
      const dirOnly = p.endsWith('/');
      if (dirOnly) p = p.slice(0, -1);
      const anchored = p.includes('/');
      if (p.startsWith('/')) p = p.slice(1);
      return { regex: globToRegex(p), negate, dirOnly, anchored };
    });
}

/** gitignore semantics: the last matching rule decides; a path inside an excluded directory is excluded. */
export function isIgnored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    const subIsDir = i < parts.length || isDir;
    let ignored = false;
    for (const r of rules) {
      if (r.dirOnly && !subIsDir) continue;
      if (r.regex.test(r.anchored ? sub : parts[i - 1]!)) ignored = !r.negate;
    }
    if (ignored) return true;
  }
  return false;
}

function walk(root: string, dir: string, rules: IgnoreRule[], out: string[], skip: (rel: string) => boolean) {
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${name}` : name;
    if (skip(rel)) continue;
    const isDir = statSync(join(root, rel)).isDirectory();
    if (isIgnored(rules, rel, isDir)) continue;
    if (isDir) walk(root, rel, rules, out, skip);
    else out.push(rel);
  }
}

/** Directories (relative, posix) of every production package, from `npm ls --omit=dev`. */
function productionPackages(root: string): string[] {
  const text = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
  });
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((p) => relative(root, p).split(sep).join('/'))
    .filter((p) => p.startsWith('node_modules/'));
}

export interface PackageContents {
  files: string[];
  bytes: number;
  /** Production packages by name. */
  packages: string[];
}

/** The package's files (relative, posix), given a built clone (`npm run build` first: dist/ must exist). */
export function packageContents(root: string): PackageContents {
  if (!existsSync(join(root, 'dist', 'functions')))
    throw new Error(`${join(root, 'dist')} has no functions/: run npm run build first`);
  const rules = parseIgnore(readFileSync(join(root, '.funcignore'), 'utf8'));
  const files: string[] = [];
  walk(root, '', rules, files, (rel) => rel === '.git' || rel === 'node_modules');
  const packages = productionPackages(root);
  const own = new Set(packages);
  for (const pkg of packages) {
    // A package's nested node_modules are separate packages: listed by npm ls when production, else left out.
    walk(root, pkg, rules, files, (rel) => rel.endsWith('/node_modules') && !own.has(rel));
  }
  const unique = [...new Set(files)].sort();
  const bytes = unique.reduce((n, f) => n + statSync(join(root, f)).size, 0);
  const names = packages.map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return { files: unique, bytes, packages: [...new Set(names)].sort() };
}

/**
 * Writes the package to `out`: the files of packageContents and the plan (checked, as the app will load it;
 * `definition` and `$schema` paths dropped: they point at the deployer's files).
 */
export async function writePackage(root: string, out: string, planFile: string): Promise<PackageContents> {
  const text = readFileSync(planFile, 'utf8');
  const { plan } = parsePlan(text, planFile, dirname(resolve(planFile)));
  const hook = (await import(pathToFileURL(join(root, 'infra/hooks/plan-targets.mjs')).href)) as {
    deployablePlan(plan: unknown): unknown;
  };
  const contents = packageContents(root);
  rmSync(out, { recursive: true, force: true });
  for (const f of contents.files) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    cpSync(join(root, f), join(out, f));
  }
  mkdirSync(dirname(join(out, PLAN_IN_PACKAGE)), { recursive: true });
  writeFileSync(join(out, PLAN_IN_PACKAGE), `${JSON.stringify(hook.deployablePlan(plan), null, 2)}\n`);
  return contents;
}

async function main(argv: string[]): Promise<void> {
  const root = join(__dirname, '..');
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && !out) throw new Error('--out needs a directory');
  const planFile = process.env.DR_PLAN_FILE?.trim() || 'examples/plan.json';
  const contents = out ? await writePackage(root, out, planFile) : packageContents(root);
  const ownFiles = contents.files.filter((f) => !f.startsWith('node_modules/'));
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const ownBytes = ownFiles.reduce((n, f) => n + statSync(join(root, f)).size, 0);
  console.log(
    [
      `package: ${contents.files.length} files, ${mib(contents.bytes)}`,
      `  control plane: ${ownFiles.length} files, ${mib(ownBytes)} (${[...new Set(ownFiles.map((f) => f.split('/')[0]))].join(', ')})`,
      `  production dependencies: ${contents.packages.length} packages, ${mib(contents.bytes - ownBytes)}`,
      ...(out ? [`  written to ${out}, with the plan ${planFile} at ${PLAN_IN_PACKAGE}`] : []),
    ].join('\n'),
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}

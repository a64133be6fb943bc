/**
 * What ships to Azure is the control plane only: the package `npm run build` + `.funcignore` make (the same
 * one `npm run package` lists) holds no file from local/ (simulators, the in-process host, the demo), no
 * local-only dependency, and no way to pick a placeholder credential.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isIgnored,
  packageContents,
  parseIgnore,
  PLAN_IN_PACKAGE,
  writePackage,
  type PackageContents,
} from '../../scripts/package';
import { appRoot } from '../../src/composition';
import { loadPlan, planSourceFromSettings } from '../../src/plan/load';

const ROOT = join(__dirname, '../..');
let contents: PackageContents;

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
    },
  );
  contents = packageContents(ROOT);
}, 120_000);

describe('the Function App package', () => {
  it('holds the compiled functions and their host files, and nothing from local/, tests or sources', () => {
    const own = contents.files.filter((f) => !f.startsWith('node_modules/'));
    const functions = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    for (const f of functions) expect(own).toContain(`dist/functions/${f.replace(/\.ts$/, '.js')}`);
    expect(own).toContain('host.json');
    expect(own).toContain('package.json');
    expect(own.filter((f) => /(^|\/)local\//.test(f))).toEqual([]);
    expect(
      own.filter((f) => !/^(dist\/(functions|src)\/|host\.json$|package(-lock)?\.json$)/.test(f)),
    ).toEqual([]);
    // The simulator, broker, host, demo and drill were never compiled into dist/.
    expect(own.filter((f) => /^dist\/src\/(sim|host|start|drill)\//.test(f))).toEqual([]);
  });

  it('carries only the runtime dependencies: no simulator, certificate or TypeScript runner', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const local of ['rhea', 'selfsigned', 'tsx'])
      expect(Object.keys(pkg.dependencies)).not.toContain(local);
    expect(contents.packages).not.toContain('selfsigned');
    expect(contents.packages).not.toContain('tsx');
    expect(contents.packages).not.toContain('vitest');
    // Every runtime dependency is something the compiled control plane requires.
    const code = contents.files
      .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    for (const dep of Object.keys(pkg.dependencies)) expect(code).toContain(`require("${dep}")`);
    for (const local of ['rhea', 'selfsigned', 'tsx']) expect(code).not.toContain(`require("${local}`);
  });

  it('has no placeholder-credential path an app setting could select', () => {
    const code = contents.files
      .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    expect(code).not.toContain('DR_ARM_CREDENTIAL');
    expect(code).not.toContain('local-simulator');
  });
});

describe('the package azd deploys (npm run package --out, azure.yaml dist)', () => {
  it('azure.yaml deploys what npm run package writes, and npm run package writes it there', () => {
    const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    const dist = /^ {4}dist: (\S+)$/m.exec(yaml)?.[1];
    expect(dist).toBe('.package');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['package']).toMatch(
      new RegExp(`scripts/package\\.ts --out ${dist!.replace('.', '\\.')}$`),
    );
  });

  it('holds no dev-only dependency, nothing from local/, and a 1000-workflow plan at DR_PLAN_PATH that loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-package-'));
    try {
      const example = JSON.parse(readFileSync(join(ROOT, 'examples/plan.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const planFile = join(dir, 'plan.json');
      writeFileSync(
        planFile,
        JSON.stringify({
          ...example,
          $schema: undefined,
          workflows: Array.from({ length: 1000 }, (_, i) => ({
            name: `intake-${i}`,
            role: 'active-passive',
            trigger: 'request',
            primary: `intake-${i}`,
            secondary: `intake-${i}`,
          })),
        }),
      );
      const out = join(dir, 'package');
      await writePackage(ROOT, out, planFile);
      // The lockfile marks what only development needs (dev: true): none of it ships.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages).filter(
        ([path, p]) => p.dev && path.startsWith('node_modules/'),
      );
      expect(devOnly.length).toBeGreaterThan(50);
      expect(devOnly.map(([path]) => path).filter((path) => existsSync(join(out, path)))).toEqual([]);
      for (const name of [
        'vitest',
        'typescript',
        'tsx',
        'eslint',
        'prettier',
        'selfsigned',
        'tree-sitter-bicep',
      ])
        expect(existsSync(join(out, 'node_modules', name)), name).toBe(false);
      expect(readdirSync(out).sort()).toEqual([
        'dist',
        'host.json',
        'node_modules',
        'package-lock.json',
        'package.json',
        'plan',
      ]);
      expect(existsSync(join(out, 'local'))).toBe(false);
      expect(existsSync(join(out, 'dist', 'local'))).toBe(false);
      // The plan as the app loads it: DR_PLAN_PATH relative to the app root.
      // The app root is found from the compiled code's folder, whatever the worker's current directory.
      expect(appRoot(join(out, 'dist', 'src'))).toBe(out);
      const { plan } = loadPlan(
        planSourceFromSettings({ DR_PLAN_PATH: PLAN_IN_PACKAGE }, appRoot(join(out, 'dist', 'src'))),
      );
      expect(plan.workflows).toHaveLength(1000);
      expect(statSync(join(out, PLAN_IN_PACKAGE)).size).toBeGreaterThan(32_767);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

/** Whether a dependency's `engines.node` admits a Node version; a range shape not handled here fails the test. */
function admits(range: string, version: string): boolean {
  const v = version.split('.').map(Number);
  const parse = (x: string) => x.split('.').map((n) => (n === 'x' ? 0 : Number(n)));
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  return range.split('||').some((part) => {
    const p = part.trim();
    if (p === '*') return true;
    const atLeast = /^>=\s*([\d.x]+)$/.exec(p);
    if (atLeast) return cmp(v, parse(atLeast[1]!)) >= 0;
    const caret = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(p);
    if (caret) return v[0] === Number(caret[1]) && cmp(v, parse(p.slice(1))) >= 0;
    throw new Error(`engines range "${range}" has a part this test does not read: ${p}`);
  });
}

describe('Node versions: 20 where the code and tests run (engines), 22 in Azure', () => {
  it('every production dependency admits both, so no pin (e.g. @azure/identity 4.14, Node >= 22) strands Node 20', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19');
    const refused: string[] = [];
    for (const dir of contents.packages.map((name) => join(ROOT, 'node_modules', name))) {
      if (!existsSync(join(dir, 'package.json'))) continue;
      const dep = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        engines?: { node?: string };
      };
      const range = dep.engines?.node;
      if (!range) continue;
      for (const node of ['20.19.0', '22.0.0'])
        if (!admits(range, node)) refused.push(`${dep.name}@${dep.version} (node ${range}) on ${node}`);
    }
    expect(refused).toEqual([]);
    expect(admits('>=22.0.0', '20.19.0')).toBe(false); // what @azure/identity 4.14 declares
  });
});

describe('.funcignore matching (gitignore rules)', () => {
  const rules = parseIgnore(['/src/', 'test/', '*.md', '!KEEP.md', '/tsconfig*.json'].join('\n'));
  it.each([
    ['src/core/monitor.ts', false, true],
    ['node_modules/durable-functions/lib/src/index.js', false, false],
    ['test/x.test.ts', false, true],
    ['node_modules/foo/test/a.js', false, true],
    ['README.md', false, true],
    ['KEEP.md', false, false],
    ['tsconfig.build.json', false, true],
    ['dist/src/composition.js', false, false],
  ])('%s ignored: %s', (path, isDir, ignored) => {
    expect(isIgnored(rules, path, isDir)).toBe(ignored);
  });
});

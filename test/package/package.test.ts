/**
 * What ships to Azure is the control plane only: the package `npm run build` + `.funcignore` make (the same
 * one `npm run package` lists) holds no file from local/ (simulators, the in-process host, the demo), no
 * local-only dependency, and no way to pick a placeholder credential.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isIgnored, packageContents, parseIgnore, type PackageContents } from '../../scripts/package';

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

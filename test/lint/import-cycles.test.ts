/**
 * No import circle in src/: every module can be read, tested and moved after the modules it imports. Type-only
 * imports count too: they are erased at run time, but a circle of them still ties the modules into one knot.
 * The graph is read with the TypeScript compiler's own pre-processor (imports, re-exports, `import()`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** A relative specifier as Node and tsc resolve it here (`./x` is `./x.ts` or `./x/index.ts`); packages: none. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((f) => f.endsWith('.ts') && existsSync(f));
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles.map((i) => resolveImport(file, i.fileName));
      return [file, [...new Set(targets.filter((t): t is string => t !== undefined))]];
    }),
  );
}

/** Each circle once, as the path round it (`a -> b -> a`), from Tarjan's strongly connected components. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  // One concrete circle per component: walk from its first member inside the component until a repeat.
  return components.map((component) => {
    const members = new Set(component);
    const path = [component.sort()[0]!];
    for (;;) {
      const next = graph.get(path.at(-1)!)!.find((w) => members.has(w))!;
      const seen = path.indexOf(next);
      if (seen >= 0) return [...path.slice(seen), next];
      path.push(next);
    }
  });
}

describe('import graph of src/', () => {
  it('finds a circle, including one made of type-only imports', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(importCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
    expect(importCycles(new Map([['a', ['a']]]))).toEqual([['a', 'a']]);
    expect(
      importCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads type-only imports and re-exports as edges', () => {
    const files = sourceFiles(SRC);
    const graph = importGraph(files);
    expect(graph.size).toBe(files.length);
    // durable/contracts.ts imports the core's types only; an edge there proves type imports are read.
    const contracts = graph.get(join(SRC, 'durable/contracts.ts'))!;
    expect(contracts.some((t) => t.startsWith(join(SRC, 'core')))).toBe(true);
  });

  it('has no circle', () => {
    const cycles = importCycles(importGraph(sourceFiles(SRC))).map((c) =>
      c.map((f) => relative(SRC, f)).join(' -> '),
    );
    expect(cycles).toEqual([]);
  });
});

/**
 * Reads the Bicep templates with the real Bicep grammar (tree-sitter-bicep, run as WebAssembly by
 * web-tree-sitter: no native build), and answers the questions the infra tests ask of the parse trees.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

export const REPO = resolve(__dirname, '../..');
export const INFRA = join(REPO, 'infra');

let parser: Promise<Parser> | undefined;

/** One parser per test process; loading the grammar takes a few tens of milliseconds. */
export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const language = await Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const p = new Parser();
    p.setLanguage(language);
    return p;
  })();
  return parser;
}

export interface BicepFile {
  /** Path relative to the repository, with forward slashes. */
  path: string;
  text: string;
  root: Node;
}

export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function parseBicep(path: string, text: string): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return { path, text, root: tree.rootNode };
}

export async function loadInfra(): Promise<BicepFile[]> {
  return Promise.all(
    listFiles(INFRA, '.bicep').map((abs) =>
      parseBicep(relative(REPO, abs).split('\\').join('/'), readFileSync(abs, 'utf8')),
    ),
  );
}

export interface SyntaxProblem {
  line: number;
  column: number;
  what: string;
}

/** ERROR and MISSING nodes: what the Bicep compiler would reject as a syntax error. */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const walk = (n: Node) => {
    if (n.isError || n.isMissing) {
      problems.push({
        line: n.startPosition.row + 1,
        column: n.startPosition.column + 1,
        what: n.isMissing ? `missing ${n.type}` : `unexpected ${JSON.stringify(n.text.slice(0, 40))}`,
      });
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  return problems;
}

export type DeclarationKind = 'param' | 'var' | 'resource' | 'module' | 'output';

const DECLARATION_TYPES: Record<string, DeclarationKind> = {
  parameter_declaration: 'param',
  variable_declaration: 'var',
  resource_declaration: 'resource',
  module_declaration: 'module',
  output_declaration: 'output',
};

export interface Declaration {
  kind: DeclarationKind;
  name: string;
  node: Node;
  /** Resource type with api version, or module path. */
  target?: string;
  /** The object body of a resource or module (through `if` and `for`). */
  body?: Node;
  /** The value node of a var, output or a param's default. */
  value?: Node;
  existing: boolean;
  /** The `if (...)` condition text, when conditional. */
  condition?: string;
  loop: boolean;
  /** Decorator call texts, e.g. `allowed(['a', 'b'])`. */
  decorators: Node[];
  line: number;
}

/** The object a resource/module body resolves to through `if` and `for` wrappers. */
function unwrapBody(n: Node | undefined): { body?: Node; condition?: string; loop: boolean } {
  let loop = false;
  let condition: string | undefined;
  while (n) {
    if (n.type === 'object') return { body: n, condition, loop };
    if (n.type === 'for_statement') {
      loop = true;
      n = n.childForFieldName('body') ?? n.namedChildren[n.namedChildren.length - 1];
      continue;
    }
    if (n.type === 'if_statement') {
      condition = n.namedChildren[0]?.text;
      n = n.namedChildren[n.namedChildren.length - 1];
      continue;
    }
    return { loop };
  }
  return { loop };
}

/** Top-level declarations, plus resources nested in a parent resource's body. */
export function declarations(file: BicepFile): Declaration[] {
  const out: Declaration[] = [];
  const visit = (container: Node) => {
    for (const d of declarationsIn(container)) {
      out.push(d);
      if (d.kind === 'resource' && d.body) visit(d.body);
    }
  };
  visit(file.root);
  return out;
}

function declarationsIn(container: Node): Declaration[] {
  const out: Declaration[] = [];
  let decorators: Node[] = [];
  // The grammar wraps a nested resource in an object_property of its parent's body.
  const nodes = container.namedChildren.map((n) =>
    n.type === 'object_property' && n.namedChildren[0]?.type === 'resource_declaration'
      ? n.namedChildren[0]
      : n,
  );
  for (const n of nodes) {
    if (n.type === 'decorators') {
      decorators = n.namedChildren.map((d) => d.namedChildren[0]!).filter(Boolean);
      continue;
    }
    const kind = DECLARATION_TYPES[n.type];
    if (!kind) {
      if (n.type !== 'comment') decorators = [];
      continue;
    }
    const named = n.namedChildren.filter((c) => c.type !== 'comment');
    const name = named[0]!.text;
    const decl: Declaration = {
      kind,
      name,
      node: n,
      existing: false,
      loop: false,
      decorators,
      line: n.startPosition.row + 1,
    };
    decorators = [];
    if (kind === 'resource' || kind === 'module') {
      decl.target = stringValue(named[1]!);
      decl.existing = n.children.some((c) => c.type === 'existing');
      Object.assign(decl, unwrapBody(named[named.length - 1]));
    } else if (kind === 'var') {
      decl.value = named[1];
    } else if (kind === 'output' || kind === 'param') {
      // name, type, [value]
      decl.value = named[2];
    }
    out.push(decl);
  }
  return out;
}

export function targetScope(file: BicepFile): string {
  const assignment = file.root.namedChildren.find((n) => n.type === 'target_scope_assignment');
  return assignment ? (stringValue(assignment.namedChildren[0]!) ?? '(expression)') : 'resourceGroup';
}

/** The value of a property of an object literal (keys may be identifiers or strings). */
export function property(obj: Node | undefined, key: string): Node | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  for (const p of obj.namedChildren) {
    if (p.type !== 'object_property') continue;
    const [k, ...rest] = p.namedChildren.filter((c) => c.type !== 'comment');
    const name = k?.type === 'string' ? stringValue(k) : k?.text;
    if (name === key) return rest[rest.length - 1];
  }
  return undefined;
}

/** Follows a path of properties, e.g. ['properties', 'permissions']. */
export function propertyPath(obj: Node | undefined, path: string[]): Node | undefined {
  return path.reduce<Node | undefined>((n, k) => property(n, k), obj);
}

export function propertyNames(obj: Node | undefined): string[] {
  if (!obj || obj.type !== 'object') return [];
  return obj.namedChildren
    .filter((p) => p.type === 'object_property' && p.namedChildren[0]?.type !== 'resource_declaration')
    .map((p) => {
      const k = p.namedChildren[0]!;
      return k.type === 'string' ? (stringValue(k) ?? k.text) : k.text;
    });
}

/** The value of a string literal without interpolation; undefined for anything else. */
export function stringValue(n: Node): string | undefined {
  if (n.type !== 'string') return undefined;
  if (n.namedChildren.some((c) => c.type === 'interpolation')) return undefined;
  const raw = n.text;
  if (raw.startsWith("'''")) return raw.slice(3, -3);
  return raw
    .slice(1, -1)
    .replace(/\\(['\\$nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/** A JS value for literal expressions (strings, numbers, booleans, null, arrays, objects of literals). */
export function literal(n: Node | undefined): unknown {
  if (!n) return undefined;
  switch (n.type) {
    case 'string':
      return stringValue(n);
    case 'number':
      return Number(n.text);
    case 'boolean':
      return n.text === 'true';
    case 'null':
      return null;
    case 'unary_expression':
      return n.text.startsWith('-') ? -Number(n.text.slice(1)) : undefined;
    case 'array':
      return n.namedChildren.filter((c) => c.type !== 'comment').map((c) => literal(c));
    case 'object':
      return Object.fromEntries(propertyNames(n).map((k) => [k, literal(property(n, k))]));
    default:
      return undefined;
  }
}

/**
 * Every string an expression can evaluate to, following variables of the same file through arrays,
 * `concat`/`union`, ternaries and parentheses. Throws when it meets anything else, so a check built on it
 * cannot silently miss a value computed some other way.
 */
export function possibleStrings(file: BicepFile, n: Node, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  const add = (s: Set<string>) => s.forEach((v) => out.add(v));
  switch (n.type) {
    case 'string': {
      const v = stringValue(n);
      if (v === undefined)
        throw new Error(`${file.path}:${n.startPosition.row + 1}: interpolated string ${n.text}`);
      out.add(v);
      break;
    }
    case 'array':
      n.namedChildren.filter((c) => c.type !== 'comment').forEach((c) => add(possibleStrings(file, c, seen)));
      break;
    case 'parenthesized_expression':
      n.namedChildren.forEach((c) => add(possibleStrings(file, c, seen)));
      break;
    case 'ternary_expression':
      add(possibleStrings(file, n.childForFieldName('consequence')!, seen));
      add(possibleStrings(file, n.childForFieldName('alternative')!, seen));
      break;
    case 'call_expression': {
      const fn = n.childForFieldName('function')?.text;
      if (fn !== 'concat' && fn !== 'union') {
        throw new Error(`${file.path}:${n.startPosition.row + 1}: cannot follow ${fn}(...)`);
      }
      const args = n.childForFieldName('arguments')!;
      args.namedChildren.forEach((c) => add(possibleStrings(file, c, seen)));
      break;
    }
    case 'identifier': {
      const enumerable = loopEnumerable(n);
      if (enumerable) {
        add(possibleStrings(file, enumerable, seen));
        break;
      }
      const v = declarations(file).find((d) => d.kind === 'var' && d.name === n.text);
      if (!v?.value || seen.has(n.text)) {
        throw new Error(`${file.path}:${n.startPosition.row + 1}: ${n.text} is not a variable of this file`);
      }
      add(possibleStrings(file, v.value, new Set([...seen, n.text])));
      break;
    }
    default:
      throw new Error(
        `${file.path}:${n.startPosition.row + 1}: cannot follow ${n.type} ${n.text.slice(0, 40)}`,
      );
  }
  return out;
}

/** For a loop's item variable, the array expression the loop runs over. */
function loopEnumerable(id: Node): Node | undefined {
  for (let p = id.parent; p; p = p.parent) {
    if (p.type !== 'for_statement') continue;
    const init = p.childForFieldName('initializer');
    const item = init?.type === 'identifier' ? init : init?.descendantsOfType('loop_variable')[0];
    if (item?.text !== id.text) continue;
    const kids = p.children;
    const inAt = kids.findIndex((c) => c.type === 'in');
    return kids.slice(inAt + 1).find((c) => c.isNamed);
  }
  return undefined;
}

/** Calls to a function anywhere under a node, e.g. all `loadJsonContent(...)`. */
export function callsTo(root: Node, fn: string): Node[] {
  return root
    .descendantsOfType('call_expression')
    .filter((c): c is Node => c !== null && c.childForFieldName('function')?.text === fn);
}

export function callArguments(call: Node): Node[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter((c) => c.type !== 'comment');
}

/** A module's path resolved to the repository-relative path of the file it deploys. */
export function modulePath(file: BicepFile, decl: Declaration): string {
  return relative(REPO, resolve(REPO, dirname(file.path), decl.target ?? ''))
    .split('\\')
    .join('/');
}

/** Compact text of an expression, whitespace removed, for comparisons. */
export const compact = (n: Node | undefined): string => (n ? n.text.replace(/\s+/g, '') : '');

/** Bicep's global functions and namespaces: every other name must be declared in the file. */
const BUILTINS = new Set(
  (
    'az sys resourceGroup subscription tenant managementGroup deployment deployer environment guid uniqueString ' +
    'concat union contains empty length toLower toUpper split take skip first last json string int bool base64 ' +
    'base64ToString loadJsonContent loadTextContent loadFileAsBase64 subscriptionResourceId resourceId ' +
    'tenantResourceId extensionResourceId toObject map filter reduce range replace format startsWith endsWith ' +
    'indexOf substring trim array coalesce intersection min max dateTimeAdd utcNow newGuid'
  ).split(' '),
);

const DECLARATION_NODE_TYPES = new Set(Object.keys(DECLARATION_TYPES));

/**
 * References to names the file never declares: the typos a grammar accepts but the Bicep compiler rejects
 * (BCP057/BCP082). Loop and lambda variables and nested resource symbols count as declared.
 */
export function undeclaredSymbols(file: BicepFile): string[] {
  const declared = new Set(declarations(file).map((d) => d.name));
  for (const n of file.root.descendantsOfType([
    'loop_variable',
    'loop_enumerator',
    'for_statement',
    'lambda_expression',
    'resource_declaration',
  ])) {
    if (!n) continue;
    if (n.type === 'loop_variable' || n.type === 'loop_enumerator') declared.add(n.text);
    if (n.type === 'for_statement') {
      const init = n.childForFieldName('initializer');
      if (init?.type === 'identifier') declared.add(init.text);
    }
    if (n.type === 'lambda_expression') {
      n.namedChildren[0]?.text
        .replace(/[()]/g, '')
        .split(',')
        .forEach((p) => declared.add(p.trim()));
    }
    if (n.type === 'resource_declaration') declared.add(n.namedChildren[0]!.text);
  }
  const problems: string[] = [];
  for (const id of file.root.descendantsOfType('identifier')) {
    if (!id) continue;
    const parent = id.parent!;
    const first = parent.namedChildren[0]?.id === id.id;
    // Object keys and the names being declared are not references.
    if (parent.type === 'object_property' && first) continue;
    if (DECLARATION_NODE_TYPES.has(parent.type) && first) continue;
    if (parent.type === 'call_expression' && parent.childForFieldName('function')?.id === id.id) {
      if (parent.parent?.type === 'decorator' || BUILTINS.has(id.text) || declared.has(id.text)) continue;
      problems.push(`${file.path}:${id.startPosition.row + 1} unknown function ${id.text}`);
      continue;
    }
    if (!declared.has(id.text) && !BUILTINS.has(id.text)) {
      problems.push(`${file.path}:${id.startPosition.row + 1} unknown symbol ${id.text}`);
    }
  }
  return problems;
}

/**
 * Loop arrays, and the names, scopes and conditions of resources and modules, must be known when the
 * deployment starts (Bicep BCP120/BCP177/BCP178): they may not read a resource's `properties` or a module's
 * `outputs`, directly or through variables.
 */
export function runtimeValuesWhereStartValuesNeeded(file: BicepFile): string[] {
  const decls = declarations(file);
  const deployed = new Set(
    decls.filter((d) => d.kind === 'resource' || d.kind === 'module').map((d) => d.name),
  );
  const vars = new Map(decls.filter((d) => d.kind === 'var').map((d) => [d.name, d.value]));
  const runtimeReads = (n: Node | undefined, seen = new Set<string>()): string[] => {
    if (!n) return [];
    const found: string[] = [];
    for (const m of n.descendantsOfType('member_expression')) {
      if (!m) continue;
      const object = m.childForFieldName('object');
      const prop = m.childForFieldName('property')?.text;
      const base =
        object?.type === 'array_access' || object?.type === 'subscript_expression'
          ? object.namedChildren[0]
          : object;
      if (
        base?.type === 'identifier' &&
        deployed.has(base.text) &&
        (prop === 'properties' || prop === 'outputs')
      ) {
        found.push(m.text);
      }
    }
    const ids = n.type === 'identifier' ? [n] : n.descendantsOfType('identifier');
    for (const id of ids) {
      if (!id || seen.has(id.text) || !vars.has(id.text)) continue;
      seen.add(id.text);
      found.push(...runtimeReads(vars.get(id.text), seen).map((r) => `${id.text} → ${r}`));
    }
    return found;
  };
  const problems: string[] = [];
  for (const loop of file.root.descendantsOfType('for_statement')) {
    if (!loop) continue;
    const kids = loop.children;
    const enumerable = kids.slice(kids.findIndex((c) => c.type === 'in') + 1).find((c) => c.isNamed);
    for (const r of runtimeReads(enumerable))
      problems.push(`${file.path}:${loop.startPosition.row + 1} loop over ${r}`);
  }
  for (const d of decls.filter((x) => (x.kind === 'resource' || x.kind === 'module') && x.body)) {
    for (const key of ['name', 'scope']) {
      for (const r of runtimeReads(property(d.body, key)))
        problems.push(`${file.path}:${d.line} ${d.name}.${key} reads ${r}`);
    }
  }
  return problems;
}

/**
 * A strict JSON reader that remembers where every value sits, so plan errors can say `plan.json:42:15`.
 * JSON.parse reports positions inconsistently across Node versions and not at all for schema errors.
 */

export interface JsonLocation {
  line: number;
  column: number;
}

export type JsonPath = readonly (string | number)[];

/** `syntax`: not JSON at all; the others are well-formed JSON this reader refuses to build. */
export type JsonProblem = 'syntax' | 'too-deep' | 'reserved-key';

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
    readonly problem: JsonProblem = 'syntax',
    /** Where in the document, for refusals (the path of the refused key or of the too-deep value). */
    readonly path: JsonPath = [],
  ) {
    super(`${source}:${line}:${column}: ${problem === 'syntax' ? 'malformed' : 'refused'} JSON: ${detail}`);
  }
}

/**
 * Keys that name Object.prototype machinery: assigning `__proto__` replaces an object's prototype, so its
 * fields would be inherited (read by the schema) yet invisible to key checks and to `dr check` output.
 */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export const reservedKeyProblem = (key: string): string =>
  `property name "${key}" is reserved: it names JavaScript object machinery, so its contents would be applied unseen or not at all`;
export const RESERVED_KEY_FIX = `remove the property; no plan field is called ${RESERVED_KEYS.map((k) => `"${k}"`).join(', ')}`;

export interface JsonReadOptions {
  /** Deepest nesting of objects and arrays accepted; deeper input is refused, never a stack overflow. */
  maxDepth?: number;
  /** Object keys refused wherever they appear. */
  reservedKeys?: readonly string[];
}

/** A plan nests about 6 levels; 64 leaves room for any `expectBody` and is far below the stack limit. */
export const PLAN_MAX_DEPTH = 64;

/**
 * Workflow definitions nest deeper (scopes inside conditions inside loops, each a few JSON levels) and may use
 * any property name but `__proto__`, the only one that changes what the parsed object is.
 */
export const DEPTH_FIX = `a plan needs only a few levels; keep nesting within ${PLAN_MAX_DEPTH} levels`;

export const DEFINITION_READ: JsonReadOptions = { maxDepth: 256, reservedKeys: ['__proto__'] };

export interface ParsedJson {
  value: unknown;
  /** Where the value at `path` starts (for object members, where its key starts); the nearest parent otherwise. */
  locate(path: JsonPath): JsonLocation | undefined;
}

const pathKey = (path: JsonPath): string => JSON.stringify(path);

export function parseJsonWithLocations(
  text: string,
  source: string,
  { maxDepth = PLAN_MAX_DEPTH, reservedKeys = RESERVED_KEYS }: JsonReadOptions = {},
): ParsedJson {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const locations = new Map<string, number>();
  let pos = 0;

  const lineColumn = (offset: number): JsonLocation => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < input.length; i++) {
      if (input[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  };
  const fail = (detail: string, at = pos, problem: JsonProblem = 'syntax', path: JsonPath = []): never => {
    const { line, column } = lineColumn(at);
    throw new JsonSyntaxError(source, line, column, detail, problem, path);
  };
  const describe = (at: number): string =>
    at >= input.length ? 'end of input' : `${JSON.stringify(input[at])}`;
  const skipWhitespace = (): void => {
    while (pos < input.length && ' \t\n\r'.includes(input[pos]!)) pos++;
  };
  const expect = (ch: string, what: string): void => {
    skipWhitespace();
    if (input[pos] !== ch) fail(`expected ${what} but found ${describe(pos)}`);
    pos++;
  };

  const readString = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < input.length) {
      const ch = input[pos]!;
      if (ch === '"') {
        pos++;
        try {
          return JSON.parse(input.slice(start, pos)) as string;
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          return fail('invalid escape sequence in string', start);
        }
      }
      if (ch === '\\') pos += 2;
      else if (ch < ' ') fail('control character in string (newlines must be escaped as \\n)');
      else pos++;
    }
    return fail('unterminated string', start);
  };

  const readValue = (path: (string | number)[]): unknown => {
    skipWhitespace();
    const start = pos;
    if (!locations.has(pathKey(path))) locations.set(pathKey(path), start);
    const ch = input[pos];
    if ((ch === '{' || ch === '[') && path.length >= maxDepth) {
      // No path: it would be `maxDepth` segments long; the line and column say where.
      fail(`objects and arrays nested deeper than ${maxDepth} levels`, start, 'too-deep');
    }
    if (ch === '{') {
      pos++;
      const obj: Record<string, unknown> = {};
      skipWhitespace();
      if (input[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skipWhitespace();
        if (input[pos] !== '"') fail(`expected a property name in double quotes but found ${describe(pos)}`);
        const keyStart = pos;
        const key = readString();
        if (reservedKeys.includes(key)) {
          fail(reservedKeyProblem(key), keyStart, 'reserved-key', [...path, key]);
        }
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate property "${key}"`, keyStart);
        locations.set(pathKey([...path, key]), keyStart);
        expect(':', `':' after property name "${key}"`);
        // An own data property, as JSON.parse makes: plain assignment of "__proto__" would set the prototype.
        Object.defineProperty(obj, key, {
          value: readValue([...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipWhitespace();
        if (input[pos] === ',') {
          pos++;
          skipWhitespace();
          if (input[pos] === '}') fail('trailing comma before }');
          continue;
        }
        if (input[pos] === '}') {
          pos++;
          return obj;
        }
        fail(`expected ',' or '}' after the value of "${key}" but found ${describe(pos)}`);
      }
    }
    if (ch === '[') {
      pos++;
      const arr: unknown[] = [];
      skipWhitespace();
      if (input[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(readValue([...path, arr.length]));
        skipWhitespace();
        if (input[pos] === ',') {
          pos++;
          skipWhitespace();
          if (input[pos] === ']') fail('trailing comma before ]');
          continue;
        }
        if (input[pos] === ']') {
          pos++;
          return arr;
        }
        fail(`expected ',' or ']' in array but found ${describe(pos)}`);
      }
    }
    if (ch === '"') return readString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      input.slice(pos, pos + 64),
    );
    if (literal) {
      pos += literal[0].length;
      return JSON.parse(literal[0]) as unknown;
    }
    return fail(`expected a JSON value but found ${describe(pos)}`);
  };

  const value = readValue([]);
  skipWhitespace();
  if (pos < input.length) fail(`unexpected ${describe(pos)} after the end of the document`);

  return {
    value,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const offset = locations.get(pathKey(path.slice(0, n)));
        if (offset !== undefined) return lineColumn(offset);
      }
      return undefined;
    },
  };
}

/** A JSON Schema node, as far as field suggestions need one. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  then?: SchemaNode;
  else?: SchemaNode;
}

/** Every field name the schema allows at `path` (over all union branches). */
export function fieldsAt(schema: unknown, path: JsonPath): string[] {
  let nodes = [schema as SchemaNode];
  const expand = (n: SchemaNode): SchemaNode[] => [
    n,
    ...[
      ...(n.anyOf ?? []),
      ...(n.oneOf ?? []),
      ...(n.allOf ?? []),
      ...(n.then ? [n.then] : []),
      ...(n.else ? [n.else] : []),
    ].flatMap(expand),
  ];
  for (const step of path) {
    nodes = nodes
      .flatMap(expand)
      .flatMap((n) =>
        typeof step === 'number'
          ? n.items
            ? [n.items]
            : []
          : n.properties?.[step]
            ? [n.properties[step]]
            : typeof n.additionalProperties === 'object'
              ? [n.additionalProperties]
              : [],
      );
  }
  return [...new Set(nodes.flatMap(expand).flatMap((n) => Object.keys(n.properties ?? {})))];
}

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[x.length]![y.length]!;
}

/** The known name a misspelt one most likely meant: a few edits away (more for longer names), else none. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 4));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(word, name);
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/**
 * A strict JSON reader that remembers where every value sits, so plan errors can say `plan.json:42:15`.
 * JSON.parse reports positions inconsistently across Node versions and not at all for schema errors.
 */

export interface JsonLocation {
  line: number;
  column: number;
}

export type JsonPath = readonly (string | number)[];

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${source}:${line}:${column}: malformed JSON: ${detail}`);
  }
}

export interface ParsedJson {
  value: unknown;
  /** Where the value at `path` starts (for object members, where its key starts); the nearest parent otherwise. */
  locate(path: JsonPath): JsonLocation | undefined;
}

const pathKey = (path: JsonPath): string => JSON.stringify(path);

export function parseJsonWithLocations(text: string, source: string): ParsedJson {
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
  const fail = (detail: string, at = pos): never => {
    const { line, column } = lineColumn(at);
    throw new JsonSyntaxError(source, line, column, detail);
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
        } catch {
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
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate property "${key}"`, keyStart);
        locations.set(pathKey([...path, key]), keyStart);
        expect(':', `':' after property name "${key}"`);
        obj[key] = readValue([...path, key]);
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

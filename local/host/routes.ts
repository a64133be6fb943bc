/**
 * HTTP trigger route templates as the Functions host reads them: literal segments (case-insensitive),
 * `{name}`, optional `{name?}`, constrained `{id:int}` / `{name:alpha}`, and a final catch-all `{*rest}`.
 */
import { RegistrationError } from './errors';

export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
};

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: RegExp;
}

/** One path segment decoded, or undefined for a malformed percent-escape (never a throw). */
function decodeSegment(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The path's segments decoded, or undefined when any of them has a malformed percent-escape. */
export function decodePath(path: string): string[] | undefined {
  const out: string[] = [];
  for (const part of path.split('/').filter((s) => s !== '')) {
    const decoded = decodeSegment(part);
    if (decoded === undefined) return undefined;
    out.push(decoded);
  }
  return out;
}

export function compileRoute(template: string): CompiledRoute {
  const segments: Segment[] = template
    .split('/')
    .filter((s) => s !== '')
    .map((s, i, all) => {
      const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([A-Za-z]+))?(\?)?\}$/.exec(s);
      if (!m) {
        if (s.includes('{') || s.includes('}')) {
          throw new RegistrationError(`Route '${template}': segment '${s}' mixes text and parameters`);
        }
        return { literal: s.toLowerCase() };
      }
      const [, star, name, constraint, optional] = m;
      if (star && i !== all.length - 1) {
        throw new RegistrationError(`Route '${template}': catch-all {*${name}} must be the last segment`);
      }
      let check: RegExp | undefined;
      if (constraint) {
        check = CONSTRAINTS[constraint.toLowerCase()];
        if (!check) throw new RegistrationError(`Route '${template}': unknown constraint '${constraint}'`);
      }
      return { param: name!, optional: optional === '?', catchAll: star === '*', constraint: check };
    });
  return {
    template,
    match(path: string): Record<string, string> | undefined {
      // A path that cannot be decoded matches no route.
      const parts = decodePath(path);
      if (!parts) return undefined;
      const params: Record<string, string> = {};
      let i = 0;
      for (const seg of segments) {
        if (seg.catchAll) {
          params[seg.param!] = parts.slice(i).join('/');
          i = parts.length;
          break;
        }
        const part = parts[i];
        if (part === undefined) {
          if (seg.optional) continue;
          return undefined;
        }
        if (seg.literal !== undefined) {
          if (part.toLowerCase() !== seg.literal) return undefined;
        } else {
          const value = part;
          if (seg.constraint && !seg.constraint.test(value)) return undefined;
          params[seg.param!] = value;
        }
        i += 1;
      }
      return i === parts.length ? params : undefined;
    },
  };
}

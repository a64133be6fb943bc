import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs, with its errors turned into one-line usage errors. */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // util.parseArgs refuses input with a TypeError coded ERR_PARSE_ARGS_*; anything else is not the user's.
    if (!(
      err instanceof TypeError && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')
    ))
      throw err;
    throw new UsageError(err.message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

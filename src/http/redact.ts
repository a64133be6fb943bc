/**
 * What may reach a log line, an audit record or an error message: secrets masked, operator text reduced to
 * one plain line. Used by the HTTP API and by the local host, so a URL is redacted the same way everywhere.
 */

/** Query parameters that carry a key or a signature. */
const SECRET_PARAMS = /([?&](?:code|sig|key)=)[^&#\s"']*/gi;

/** SDK errors can quote URLs or connection strings: keys, signatures and shared access keys never reach a log. */
export function redactSecrets(text: string): string {
  return (
    text
      .replace(SECRET_PARAMS, '$1***')
      // A password in a URL's user info (the local host's RPC base URL carries its key there).
      .replace(/(\/\/[^/@\s:]*:)[^/@\s]+@/g, '$1***@')
      .replace(/(SharedAccessKey=)[^;\s"']+/gi, '$1***')
      .replace(/(x-functions-key["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1***')
  );
}

// CSI (colours, cursor moves) and OSC (window titles, hyperlinks) escape sequences, then any other ESC pair.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?/g;
// C0 and C1 controls, DEL, and the bidi overrides that reorder what a terminal shows.
// eslint-disable-next-line no-control-regex -- as above
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Operator text (`reason`, a principal's name) as one plain line: no escape sequence can recolour or rewrite
 * the live log, and no newline can forge a second log or audit line. Line breaks and tabs become spaces.
 */
export function plainText(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/[\r\n\t\u2028\u2029]/g, ' ')
    .replace(CONTROL, '');
}

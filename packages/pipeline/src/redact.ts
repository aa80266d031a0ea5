/**
 * Redaction of credentials, the one way the tree has of keeping a Redis password out of
 * logs and terminals: a URL named in a message (redactUrl), the secrets of a known URL
 * replaced wherever they occur in a text (redactorForUrl, redactor, safeMessage), and
 * every URL's credentials in free text such as a message quoting what was typed
 * (redactUrlsIn). A password is either the URL's user info or a query parameter ioredis
 * reads as one (`?password=`); both are covered by each of them.
 *
 * No imports: the command line loads this before it knows whether it needs ioredis.
 */

/** Query parameters ioredis reads as credentials (`?password=`), besides the URL's own user info. */
const SECRET_PARAMS = /^(password|pass|auth)$/i;

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** The secrets a Redis URL carries: its password, and any password given as a query parameter. */
function secretsOfUrl(url: string): string[] {
  const secrets: string[] = [];
  try {
    const u = new URL(url);
    if (u.password) secrets.push(u.password);
    for (const [key, value] of u.searchParams) if (SECRET_PARAMS.test(key) && value) secrets.push(value);
  } catch {
    // Unparseable: nothing to take apart; the caller never prints the URL itself.
  }
  return secrets;
}

export type Redactor = (text: string) => string;

/**
 * Replaces every occurrence of each secret in a text with `***`: as given, percent-decoded
 * (what AUTH sends) and percent-encoded (how it is written in a URL).
 */
export function redactor(secrets: readonly (string | undefined)[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    try {
      const decoded = decodeURIComponent(secret);
      forms.add(decoded);
      forms.add(encodeURIComponent(decoded));
    } catch {
      // not percent-encoded: the forms above cover it
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, form) => out.split(form).join('***'), text);
}

/** A redactor for the secrets of a Redis URL. */
export function redactorForUrl(url: string): Redactor {
  return redactor(secretsOfUrl(url));
}

/** An error's message, redacted; never its properties, where a failed command keeps its arguments. */
export function safeMessage(err: unknown, redact: Redactor): string {
  const message = err instanceof Error ? err.message : String(err);
  return redact(message);
}

/** `scheme://user-info@`: the user info up to the last `@` before the host (a password may hold a raw `@`). */
const USER_INFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/?#]*)@/g;
/**
 * A secret query parameter, wherever it stands: also in a URL a path normalisation has
 * bent (`redis:/h/?password=`). Its value runs as far as URLSearchParams reads it, to
 * the next `&` or `#`, or to a space: so the colon of `<url>: message` goes with it,
 * as a password may hold one.
 */
const SECRET_PARAM_IN_TEXT = /([?&](?:password|pass|auth)=)[^\s&#]*/gi;

/**
 * Text with the credentials of every URL in it replaced by `***`, as redactUrl does for
 * one URL: the password in the user info (the user name kept; user info without a colon
 * is taken for a password, as it may be one) and every secret query parameter. For
 * messages that quote what was typed or what a file holds, where the URL is not known.
 */
export function redactUrlsIn(text: string): string {
  return text
    .replace(USER_INFO, (_all, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return `${scheme}${colon < 0 ? '***' : `${info.slice(0, colon)}:***`}@`;
    })
    .replace(SECRET_PARAM_IN_TEXT, (_all, name: string) => `${name}***`);
}

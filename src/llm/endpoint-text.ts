/** Small text rules shared by the model registry and the embedder factory. */

/** `localhost:11434` or `http://h:11434/` → `http://h:11434/v1`. */
export function apiUrlForHost(host: string): string {
  const withScheme = /^https?:\/\//i.test(host) ? host : `http://${host}`;
  const root = stripSlash(withScheme);
  return root.endsWith('/v1') ? root : `${root}/v1`;
}

/** `url` without trailing slashes. */
export function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `value` trimmed, or undefined when it is absent or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

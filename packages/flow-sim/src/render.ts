/** Fills `${Name}` placeholders in a flow (ARNs, key ids, certificates) and refuses to leave any. */

export class RenderError extends Error {
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Every placeholder name a flow document uses, sorted. */
export function placeholders(document: unknown): string[] {
  const found = new Set<string>();
  JSON.stringify(document).replace(PLACEHOLDER, (_m, name: string) => {
    found.add(name);
    return '';
  });
  return [...found].sort();
}

function fill(node: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof node === 'string') {
    return node.replace(PLACEHOLDER, (match, name: string) =>
      Object.hasOwn(values, name) ? (values[name] ?? match) : match,
    );
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, values));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, fill(value, values)]));
  }
  return node;
}

/**
 * The flow with every placeholder replaced. Values are inserted into JSON strings, so a PEM
 * certificate with its line breaks stays valid JSON. Throws {@link RenderError} naming every
 * placeholder left without a value.
 */
export function renderFlow<T>(document: T, values: Readonly<Record<string, string>>): T {
  const missing = placeholders(document).filter(
    (name) => !Object.hasOwn(values, name) || values[name] === '',
  );
  if (missing.length > 0) {
    throw new RenderError(`no value for ${missing.map((m) => `\${${m}}`).join(', ')}`, missing);
  }
  return fill(document, values) as T;
}

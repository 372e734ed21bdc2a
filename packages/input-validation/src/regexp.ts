import { RE2JS } from 're2js';

/** What ajv's compiled code calls on a pattern. */
export interface LinearRegExp {
  test(text: string): boolean;
  toString(): string;
}

/**
 * RE2 (re2js, a pure JavaScript port): matches in time linear in the input and never backtracks.
 * A JSON Schema pattern is ECMA-262 syntax; `translateRegExp` maps its JavaScript-only spellings
 * (`\u00e9`, `\u{1F600}`, `(?<name>…)`) to RE2's. Throws on what RE2 cannot run (lookaround,
 * backreferences): the build calls it on every pattern so that no such pattern ships.
 */
export function compileLinear(pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}

/**
 * The engine the compiled validators run `pattern` and `patternProperties` with (ajv's
 * `code.regExp`), so that no schema's pattern can stall the function. Each pattern is compiled on
 * its first use, not at load: a cold start pays only for the schema it validates. The flags ajv
 * passes (`u`) need nothing: RE2 always matches code points.
 */
export function linearRegExp(pattern: string, _flags = ''): LinearRegExp {
  let compiled: RE2JS | undefined;
  return {
    test: (text) => {
      compiled ??= compileLinear(pattern);
      return compiled.test(text);
    },
    // ajv tells patterns apart by this key.
    toString: () => pattern,
  };
}

import type { Coercion, Output } from './compiler.js';

/** An error as the compiled validators report it (ajv's shape). */
export interface ValidatorError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A validator compiled from a schema at build time. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: readonly ValidatorError[] | null;
}

/** A schema parameter as the build describes it to the runtime. */
export interface PropertyManifest {
  readonly name: string;
  readonly required: boolean;
  readonly coerce: Coercion;
  readonly sensitive: boolean;
  readonly output: Output;
  /** Date order for `isoDate` output (from the property's `date` check). */
  readonly order?: 'YMD' | 'MDY' | 'DMY';
  /** Decimals for `minorUnits` output (from the property's `amount` check; 2 when absent). */
  readonly decimals?: number;
  readonly type: 'string' | 'object';
}

export interface SchemaManifest {
  readonly name: string;
  readonly title: string;
  readonly validate: CompiledValidator;
  readonly properties: readonly PropertyManifest[];
}

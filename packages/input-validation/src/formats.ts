/**
 * The ajv-formats formats (`email`, `date`, `uri`, ...) for schemas that use `format`, as an ES
 * module the compiled validators import.
 */
export { fullFormats } from 'ajv-formats/dist/formats.js';

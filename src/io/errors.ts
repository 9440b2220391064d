// Typed errors of the file layer: bad file contents (FormatError) and files that cannot be read or written (FileError).
import { TapegradError } from '../core/errors.js';

/** A file whose bytes are not what its format requires; the message names the file and the field. */
export class FormatError extends TapegradError {}

/** A file that cannot be opened, read or written (missing, a directory, too large, permission denied, ...). */
export class FileError extends TapegradError {}

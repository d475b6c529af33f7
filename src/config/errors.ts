// Configuration errors and warnings that name the file, the line and the field, so a user can go straight to it.

export interface Location {
  readonly file: string;
  readonly line: number;
}

export class ConfigError extends Error {
  constructor(
    readonly location: Location,
    readonly field: string | null,
    readonly reason: string,
  ) {
    super(`${location.file}:${location.line}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ConfigError';
  }
}

/** Several errors found in one pass: all are reported at once, so a user fixes a file in one go. */
export class ConfigErrors extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
  }
}

export interface ConfigWarning {
  readonly location: Location;
  readonly message: string;
}

export function formatWarning(warning: ConfigWarning): string {
  return `${warning.location.file}:${warning.location.line}: warning: ${warning.message}`;
}

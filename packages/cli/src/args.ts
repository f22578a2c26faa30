/**
 * Argument handling shared by the commands: the one-line wording of `parseArgs` errors, and the
 * warning about flags that have no effect with the other flags given.
 *
 * @module
 */

/** What {@link usageMessage} needs from a `parseArgs` error. */
interface ParseArgsError {
  readonly message: string;
  readonly code?: unknown;
}

/** `true` for the errors `util.parseArgs` throws on a malformed command line. */
export function isParseArgsError(error: unknown): error is TypeError & ParseArgsError {
  return (
    error instanceof TypeError &&
    "code" in error &&
    String((error as ParseArgsError).code).startsWith("ERR_PARSE_ARGS")
  );
}

/**
 * The one-line message of a usage error of `command`: `parseArgs` errors are shortened (an unknown
 * option names the help that lists the options; a missing value names the option), other usage
 * errors keep their message.
 */
export function usageMessage(error: Error, command: string | undefined): string {
  if (!isParseArgsError(error)) return error.message;
  const code = String(error.code);
  // Node quotes the option, as '-h, --help' when it has a short alias: prefer the long name.
  const names = (/'(-[^']*)'/.exec(error.message)?.[1] ?? "")
    .split(/[,\s]+/)
    .filter((n) => n !== "");
  const option = names.find((n) => n.startsWith("--")) ?? names[0];
  const help = command === undefined ? "lpa help" : `lpa ${command} --help`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined)
    return `unknown option ${option} (${help} lists the options)`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined)
    return /argument missing/.test(error.message)
      ? `${option} needs a value`
      : `${option} does not take a value`;
  // ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL and anything newer: Node's own sentence, first line only.
  return error.message.split("\n")[0]!;
}

/**
 * The `--name` of every flag in `names` that was given: a string flag with a value, a boolean flag
 * set to `true`.
 */
export function givenFlags(
  values: Readonly<Record<string, unknown>>,
  names: readonly string[],
): string[] {
  return names
    .filter((name) => {
      const v = values[name];
      return v !== undefined && v !== false;
    })
    .map((name) => `--${name}`);
}

/**
 * Warns on stderr, in one line, that `flags` have no effect `why` (e.g. "without --clickhouse").
 * Nothing is written when `flags` is empty. A warning never changes the exit code.
 */
export function warnNoEffect(
  stderr: NodeJS.WritableStream,
  command: string,
  flags: readonly string[],
  why: string,
): void {
  if (flags.length === 0) return;
  const verb = flags.length === 1 ? "has" : "have";
  stderr.write(`lpa ${command}: warning: ${flags.join(", ")} ${verb} no effect ${why}\n`);
}

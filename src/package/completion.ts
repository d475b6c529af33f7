// Bash completion for the packages, generated from the command table behind --help (cli/help.ts): the command words
// level by level, then the options of the command typed, so it knows exactly the commands and options the CLI has.
import type { ProgramHelp } from '../cli/help.js';

// Options every command takes (args.ts handles them before any command).
const GLOBAL_OPTIONS = ['--help', '--version', '--config FILE'] as const;

/** A word as a single-quoted shell string (the table's words are plain, but a quote must never end the script). */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The bash completion script of `help.program`, to install as /usr/share/bash-completion/completions/PROGRAM. */
export function bashCompletion(help: ProgramHelp): string {
  const fn = `_${help.program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const flags = (specs: readonly string[]) => specs.map((s) => s.split(' ')[0]!);
  const allSpecs = [...GLOBAL_OPTIONS, ...help.commands.flatMap((c) => (c.options ?? []).map(([flag]) => flag))];
  // Options with a placeholder take the next word as their value: it is skipped when finding the command words.
  const valueFlags = [...new Set(allSpecs.filter((s) => s.includes(' ')).map((s) => s.split(' ')[0]!))].sort();
  const fileFlags = [...new Set(allSpecs.filter((s) => / FILE$/.test(s)).map((s) => s.split(' ')[0]!))].sort();

  // The next words after each typed prefix of command words ('' = nothing typed yet).
  const next = new Map<string, Set<string>>();
  for (const c of help.commands) {
    c.words.forEach((word, i) => {
      const prefix = c.words.slice(0, i).join(' ');
      next.set(prefix, (next.get(prefix) ?? new Set()).add(word));
    });
  }
  const groupArms = [...next].sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, words]) => `    ${quote(prefix)}) words=${quote([...words].sort().join(' '))} ;;`);
  // A command matches its words, also when positional arguments follow (config add 10.0.0.1 ...).
  const commandArms = help.commands.map((c) => {
    const name = c.words.join(' ');
    const options = [...new Set(flags((c.options ?? []).map(([flag]) => flag)))].sort().join(' ');
    return `    ${quote(name)}|${quote(`${name} `)}*) command=1 options=${quote(options)} ;;`;
  });

  const otherValueFlags = valueFlags.filter((f) => !fileFlags.includes(f));
  // --config is always there, so the case never ends up without an arm; the other arm only when such options exist.
  const valueArms = [
    `    ${fileFlags.join('|')})\n      compopt -o filenames 2>/dev/null\n      mapfile -t COMPREPLY < <(compgen -f -- "$cur")\n      return 0 ;;`,
    ...(otherValueFlags.length ? [`    ${otherValueFlags.join('|')})\n      return 0 ;; # a value only the user knows (an interface, a number, a zone)`] : []),
  ].join('\n');

  return `# bash completion for ${help.program}; generated from its command table (src/package/completion.ts), do not edit.
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' typed='' words='' options='' command=0 i w
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  # --flag=VALUE: bash splits at '=' (COMP_WORDBREAKS), so the option is the word before the '='.
  if [[ $cur == '=' ]]; then prev=\${COMP_WORDS[COMP_CWORD-1]}; cur=''
  elif [[ $prev == '=' ]] && ((COMP_CWORD > 1)); then prev=\${COMP_WORDS[COMP_CWORD-2]}
  fi
  COMPREPLY=()
  case $prev in
${valueArms}
  esac
  # The command words typed so far, without options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case $w in
      ${valueFlags.join('|')})
        [[ \${COMP_WORDS[i+1]-} == '=' ]] && ((i++))
        ((i++)) ;;
      -*|=) ;;
      *) typed+=\${typed:+ }$w ;;
    esac
  done
  case $typed in
${groupArms.join('\n')}
  esac
  case $typed in
${commandArms.join('\n')}
  esac
  if [[ $cur == -* ]] || { ((command)) && [[ -z $words ]]; }; then
    ((command)) || options=''
    mapfile -t COMPREPLY < <(compgen -W "$options ${flags(GLOBAL_OPTIONS).join(' ')}" -- "$cur")
  elif [[ -n $words ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  fi
  return 0
}
complete -F ${fn} ${help.program}
`;
}

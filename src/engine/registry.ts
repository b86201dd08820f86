import { normalize } from '../domain/text.js';
import type { CommandSpec, FormSpec } from './spec.js';

/** All commands by every name they answer to. Two commands claiming one word is a startup error. */
export class Registry {
  private readonly byName = new Map<string, CommandSpec>();

  constructor(readonly commands: readonly CommandSpec[]) {
    for (const spec of commands) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        const key = normalize(name);
        const taken = this.byName.get(key);
        if (taken) throw new Error(`Command name "${name}" is declared by both /${taken.name} and /${spec.name}; each name and alias must be unique.`);
        this.byName.set(key, spec);
      }
      const subs = new Set<string>();
      for (const form of spec.forms) {
        for (const sub of form.sub ? [form.sub, ...(form.subAliases ?? [])] : []) {
          if (subs.has(normalize(sub))) throw new Error(`/${spec.name} declares the subcommand "${sub}" twice.`);
          subs.add(normalize(sub));
        }
      }
    }
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(normalize(name.replace(/^\//, '')));
  }

  /** Every word a command answers to, for suggestions. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** `/touch <account> ...` with the subcommand and the command's name in front. */
export function usageLine(spec: CommandSpec, form: FormSpec): string {
  return `/${spec.name}${form.sub ? ` ${form.sub}` : ''}${form.usage ? ` ${form.usage}` : ''}`;
}

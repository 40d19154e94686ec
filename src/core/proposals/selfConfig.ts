import { DreamError } from '../errors';
import { parseSwarmConfig } from '../loop/agentsConfig';
import { validateTemplate } from '../loop/agentPrompts';

/**
 * The self-modification protocol: agents may propose changes to Dream.OS's own configuration —
 * agent definitions, prompt templates, project rules — and each proposed file is validated by the
 * same code that reads it, so an approved change can never leave the swarm unable to start.
 */
const VALIDATORS: { pattern: RegExp; what: string; validate(content: string, path: string): void }[] = [
  {
    pattern: /^\.dreamos\/agents\.json$/,
    what: 'agent definitions',
    validate: (content, path) => {
      let raw: unknown;
      try {
        raw = JSON.parse(content);
      } catch (err) {
        throw new DreamError('invalid_input', `${path} is not valid JSON (${(err as Error).message}).`, { path });
      }
      parseSwarmConfig(raw, path);
    },
  },
  { pattern: /^\.dreamos\/prompts\/[\w.-]+\.md$/, what: 'a prompt template', validate: (content, path) => void validateTemplate(content, path) },
  { pattern: /^\.dreamos\/rules\.md$/, what: 'project rules', validate: () => undefined },
];

export const SELF_CONFIG_PATTERNS = VALIDATORS.map((v) => v.pattern);

/** Throws a clear invalid_input error when a proposed configuration file would not load. */
export function validateSelfConfig(path: string, content: string | null): void {
  const v = VALIDATORS.find((x) => x.pattern.test(path));
  if (!v || content === null) return;
  try {
    v.validate(content, path);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DreamError('invalid_input', `The proposed ${v.what} would not load, so the proposal was refused: ${message}`, { path });
  }
}

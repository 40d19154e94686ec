/**
 * A small price table (USD per million tokens) for CLIs that report tokens but no cost (Codex).
 * Costs from it are estimates and shown as such; an agent's "price" in agents.json overrides it.
 * Figures: OpenAI's published API prices for these models.
 */
import type { Price } from '../../core/loop/presets';
import type { Tokens } from '../../core/runs/model';

const TABLE: readonly [prefix: string, price: Price][] = [
  ['gpt-5-mini', { input: 0.25, cachedInput: 0.025, output: 2 }],
  ['gpt-5-nano', { input: 0.05, cachedInput: 0.005, output: 0.4 }],
  ['gpt-5', { input: 1.25, cachedInput: 0.125, output: 10 }],
  ['codex-mini', { input: 1.5, cachedInput: 0.375, output: 6 }],
  ['gpt-4.1-mini', { input: 0.4, cachedInput: 0.1, output: 1.6 }],
  ['gpt-4.1', { input: 2, cachedInput: 0.5, output: 8 }],
  ['o4-mini', { input: 1.1, cachedInput: 0.275, output: 4.4 }],
  ['o3', { input: 2, cachedInput: 0.5, output: 8 }],
];

/** The price of a model: the longest matching prefix in the table. */
export function priceFor(model: string | undefined): Price | undefined {
  if (!model) return undefined;
  const m = model.toLowerCase();
  return TABLE.find(([prefix]) => m === prefix || m.startsWith(`${prefix}-`) || m.startsWith(`${prefix}.`))?.[1] ?? TABLE.find(([prefix]) => m.startsWith(prefix))?.[1];
}

/** The estimated cost of some tokens; `input` counts the cached ones too (OpenAI's usage does). */
export function estimateCost(tokens: Tokens, price: Price): number {
  const cached = Math.min(tokens.cached, tokens.input);
  const usd = ((tokens.input - cached) * price.input + cached * (price.cachedInput ?? price.input) + tokens.output * price.output) / 1e6;
  return Math.round(usd * 1e9) / 1e9;
}

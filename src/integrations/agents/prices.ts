/**
 * A small price table (USD per million tokens) for CLIs that report tokens but no cost (Codex), and
 * for the running estimate of a run before its CLI reports its own total (Claude Code says
 * total_cost_usd only at the end; budgets are checked while it runs). Costs from it are estimates
 * and shown as such. agents.json's "prices" (model prefix → price) goes before this table, and an
 * agent's own "price" before both. Figures: OpenAI's and Anthropic's published API prices.
 */
import type { Price } from '../../core/loop/presets';
import type { Tokens } from '../../core/runs/runModel';

const TABLE: readonly [prefix: string, price: Price][] = [
  ['gpt-5-mini', { input: 0.25, cachedInput: 0.025, output: 2 }],
  ['gpt-5-nano', { input: 0.05, cachedInput: 0.005, output: 0.4 }],
  ['gpt-5', { input: 1.25, cachedInput: 0.125, output: 10 }],
  ['codex-mini', { input: 1.5, cachedInput: 0.375, output: 6 }],
  ['gpt-4.1-mini', { input: 0.4, cachedInput: 0.1, output: 1.6 }],
  ['gpt-4.1', { input: 2, cachedInput: 0.5, output: 8 }],
  ['o4-mini', { input: 1.1, cachedInput: 0.275, output: 4.4 }],
  ['o3', { input: 2, cachedInput: 0.5, output: 8 }],
  ['claude-opus-4-5', { input: 5, cachedInput: 0.5, output: 25 }],
  ['claude-opus-4', { input: 15, cachedInput: 1.5, output: 75 }],
  ['claude-sonnet-4', { input: 3, cachedInput: 0.3, output: 15 }],
  ['claude-haiku-4', { input: 1, cachedInput: 0.1, output: 5 }],
  ['claude-3-5-haiku', { input: 0.8, cachedInput: 0.08, output: 4 }],
  ['gemini-2.5-pro', { input: 1.25, cachedInput: 0.125, output: 10 }],
  ['gemini-2.5-flash-lite', { input: 0.1, cachedInput: 0.01, output: 0.4 }],
  ['gemini-2.5-flash', { input: 0.3, cachedInput: 0.03, output: 2.5 }],
  // Claude Code's model aliases.
  ['sonnet', { input: 3, cachedInput: 0.3, output: 15 }],
  ['haiku', { input: 1, cachedInput: 0.1, output: 5 }],
  ['opus', { input: 5, cachedInput: 0.5, output: 25 }],
];

/** A model's entry in a table: the exact name, else the longest prefix that ends at a - or . (then any prefix). */
function lookup(table: readonly (readonly [string, Price])[], m: string): Price | undefined {
  const byLength = [...table].sort((a, b) => b[0].length - a[0].length);
  return (
    byLength.find(([prefix]) => m === prefix.toLowerCase() || m.startsWith(`${prefix.toLowerCase()}-`) || m.startsWith(`${prefix.toLowerCase()}.`))?.[1] ??
    byLength.find(([prefix]) => m.startsWith(prefix.toLowerCase()))?.[1]
  );
}

/** The price of a model: the person's table (agents.json "prices") first, then the built-in one. */
export function priceFor(model: string | undefined, prices?: Readonly<Record<string, Price>>): Price | undefined {
  if (!model) return undefined;
  const m = model.toLowerCase();
  return (prices ? lookup(Object.entries(prices), m) : undefined) ?? lookup(TABLE, m);
}

/**
 * The estimated cost of some tokens. OpenAI's usage counts cached tokens inside `input`; Anthropic's
 * (cachedSeparate) reports cache reads beside it.
 */
export function estimateCost(tokens: Tokens, price: Price, o: { cachedSeparate?: boolean } = {}): number {
  const cached = o.cachedSeparate ? tokens.cached : Math.min(tokens.cached, tokens.input);
  const fresh = o.cachedSeparate ? tokens.input : tokens.input - cached;
  const usd = (fresh * price.input + cached * (price.cachedInput ?? price.input) + tokens.output * price.output) / 1e6;
  return Math.round(usd * 1e9) / 1e9;
}

import * as vscode from 'vscode';

/**
 * `dreamos-proposal:/<file path>?proposal=<id>&side=proposed|base` — the right (or, for new
 * files, left) side of a proposal's diff. The path keeps the file's name so the editor picks the
 * right language; the query is checked, never trusted (by hand: this module loads on activation, zod does not).
 */
export const SCHEME = 'dreamos-proposal';

/** proposal=prp_<12 hex>, side=proposed|base (default proposed), nothing else. */
function parseQuery(q: Record<string, string>): { proposal: string; side: 'proposed' | 'base' } | undefined {
  if (Object.keys(q).some((k) => k !== 'proposal' && k !== 'side')) return undefined;
  if (typeof q.proposal !== 'string' || !/^prp_[0-9a-f]{12}$/.test(q.proposal)) return undefined;
  const side = q.side ?? 'proposed';
  return side === 'proposed' || side === 'base' ? { proposal: q.proposal, side } : undefined;
}
export type ProposalRef = { proposalId: string; path: string; side: 'proposed' | 'base' };

export function proposalUri(proposalId: string, filePath: string, side: 'proposed' | 'base' = 'proposed'): vscode.Uri {
  const query = new URLSearchParams({ proposal: proposalId, side }).toString();
  return vscode.Uri.from({ scheme: SCHEME, path: `/${filePath}`, query });
}

export function parseProposalUri(uri: vscode.Uri): ProposalRef | undefined {
  if (uri.scheme !== SCHEME) return undefined;
  const parsed = parseQuery(Object.fromEntries(new URLSearchParams(uri.query)));
  if (!parsed) return undefined;
  return { proposalId: parsed.proposal, path: uri.path.replace(/^\//, ''), side: parsed.side };
}

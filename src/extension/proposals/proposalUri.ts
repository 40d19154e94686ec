import * as vscode from 'vscode';
import { z } from 'zod';

/**
 * `dreamos-proposal:/<file path>?proposal=<id>&side=proposed|base` — the right (or, for new
 * files, left) side of a proposal's diff. The path keeps the file's name so the editor picks the
 * right language; the query is parsed with a schema, never trusted.
 */
export const SCHEME = 'dreamos-proposal';

const Query = z
  .object({
    proposal: z.string().regex(/^prp_[0-9a-f]{12}$/),
    side: z.enum(['proposed', 'base']).default('proposed'),
  })
  .strict();
export type ProposalRef = { proposalId: string; path: string; side: 'proposed' | 'base' };

export function proposalUri(proposalId: string, filePath: string, side: 'proposed' | 'base' = 'proposed'): vscode.Uri {
  const query = new URLSearchParams({ proposal: proposalId, side }).toString();
  return vscode.Uri.from({ scheme: SCHEME, path: `/${filePath}`, query });
}

export function parseProposalUri(uri: vscode.Uri): ProposalRef | undefined {
  if (uri.scheme !== SCHEME) return undefined;
  const parsed = Query.safeParse(Object.fromEntries(new URLSearchParams(uri.query)));
  if (!parsed.success) return undefined;
  return { proposalId: parsed.data.proposal, path: uri.path.replace(/^\//, ''), side: parsed.data.side };
}

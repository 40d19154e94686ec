import { randomBytes } from 'node:crypto';

/** Ids are made by code, never by callers: a 3-letter kind and 48 random bits. */
export type IdKind = 'tsk' | 'agt' | 'msg' | 'prp';
export function newId(kind: IdKind): string {
  return `${kind}_${randomBytes(6).toString('hex')}`;
}

/**
 * Unpacks the `state` message's CardTable (see src/protocol/dashboard.ts: one array per field,
 * repeated strings as dictionary indexes, times after an epoch) into card objects. No DOM here: the
 * contract tests decode what a real host sends with this same function.
 */
import type { CardTable, TaskCard } from '../../src/protocol/dashboard';

export function decodeCards(t: CardTable): TaskCard[] {
  const n = t.ids.length;
  const cards = new Array<TaskCard>(n);
  const { statuses, kinds, people, tagNames, epoch } = t;
  const none: string[] = [];
  for (let i = 0; i < n; i++) {
    const who = t.assignee[i]!;
    cards[i] = {
      id: t.ids[i]!,
      title: t.titles[i]!,
      tags: none,
      status: statuses[t.status[i]!]!,
      priority: t.priority[i]!,
      kind: kinds[t.kind[i]!]!,
      assignee: who < 0 ? null : people[who]!,
      attempts: t.attempts[i]!,
      maxAttempts: t.maxAttempts[i]!,
      createdAt: epoch + t.createdAt[i]!,
      updatedAt: epoch + t.updatedAt[i]!,
    };
  }
  // Only tagged cards are listed (most cards of a big board have none).
  t.tagged.forEach((i, k) => (cards[i]!.tags = t.tags[k]!.map((j) => tagNames[j]!)));
  return cards;
}

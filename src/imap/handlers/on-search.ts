/** SEARCH / UID SEARCH over the messages this session knows in the selected mailbox. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { matchesAll, type SearchNode } from '../search/match';
import { searchSubject } from '../search/subject';
import { decodeSearchQuery } from '../search/terms';
import { accountIdOf, ownedMailboxById } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onSearch(ctx: HandlerContext): NonNullable<IMAPServer['onSearch']> {
  return (mailboxId, options, session, callback) =>
    settle(ctx.logger, 'SEARCH', callback)(async () => {
      const mailbox = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!mailbox) return [{ uidList: 'NONEXISTENT' }];
      const accountId = accountIdOf(session);
      const known = new Set(session.selected ? session.selected.uidList : []);
      const messages = (await ctx.store.messages.list(mailbox.id)).filter((m) => m.accountId === accountId && known.has(m.uid));
      const query = decodeSearchQuery(options.query as SearchNode[]);
      if (!query) return [{ uidList: 'BADCHARSET' }];
      const uidList: number[] = [];
      let highestModseq = 0;
      for (const record of messages) {
        if (await matchesAll(searchSubject(record, { blobs: ctx.store.blobs, meta: ctx.meta }), query)) {
          uidList.push(record.uid);
          highestModseq = Math.max(highestModseq, record.modseq);
        }
      }
      return [{ uidList, highestModseq }];
    });
}

/** STORE / UID STORE: flag changes on the selected mailbox, with CONDSTORE's UNCHANGEDSINCE. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { storableFlags } from '../flags';
import { ownedMailboxById } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onStore(ctx: HandlerContext): NonNullable<IMAPServer['onStore']> {
  return (mailboxId, update, session, callback) =>
    settle(ctx.logger, 'STORE', callback)(async () => {
      const mailbox = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!mailbox) return ['NONEXISTENT'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const selected = session.selected;
      const known = new Set(selected ? selected.uidList : []);
      const uids = update.messages.filter((uid) => known.has(uid));
      if (!uids.length) return [true, []];
      const result = await ctx.store.messages.updateFlags(
        mailbox.id,
        uids,
        update.action,
        storableFlags(update.value),
        update.unchangedSince || undefined,
      );
      const updated = result.updated.filter((m) => m.mailboxId === mailbox.id).sort((a, b) => a.uid - b.uid);
      // this session answers the change itself; the journal must not repeat it to it
      ctx.notifier.markOwnChanges(session.id, mailbox.id, updated.map((m) => m.modseq));
      const condstore = !!(selected && selected.condstoreEnabled);
      if (!update.silent || condstore) {
        for (const m of updated) {
          const response = session.formatResponse('FETCH', m.uid, {
            uid: update.isUid ? m.uid : false,
            flags: m.flags,
            modseq: condstore ? m.modseq : false,
          });
          if (response) session.writeStream.write(response);
        }
      }
      return [true, result.modified];
    });
}

// The forwards of the message open in the drawer: loaded when it opens, then kept
// current from the event stream. An event and a load can cross, so each forward is
// kept in its most advanced form (the one with the most attempts).

import { api, type ForwardView } from './api';

export class MessageForwards {
  list = $state<ForwardView[]>([]);
  error = $state<string | null>(null);
  private messageId: string | null = null;

  /** Shows `messageId`'s forwards: what the server has, and what arrives from now on. */
  open(messageId: string) {
    this.messageId = messageId;
    this.list = [];
    this.error = null;
    this.load();
  }

  async load() {
    const id = this.messageId;
    if (!id) return;
    try {
      const page = await api.forwardsOf(id);
      if (id !== this.messageId) return; // another message was opened meanwhile
      for (const f of page.forwards) this.upsert(f);
      this.error = null;
    } catch (e) {
      if (id === this.messageId) this.error = String(e);
    }
  }

  /** Takes a forward from an event, a load or a send; others' forwards are ignored. */
  upsert(f: ForwardView) {
    if (f.message_id !== this.messageId) return;
    const at = this.list.findIndex((x) => x.id === f.id);
    if (at < 0) this.list = [...this.list, f].sort((a, b) => a.id - b.id);
    else if (f.attempts.length >= this.list[at].attempts.length) this.list[at] = f;
  }
}

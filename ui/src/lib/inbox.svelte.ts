// The inbox's state: phones, the open thread, filters, and live updates from SSE.

import { api, type Filters, type ForwardEvent, type ForwardView, type Message, type Phone, type ServerEvent } from './api';

/** Told of every forward queued or attempted; `missed` when events may have been lost. */
export interface ForwardWatcher {
  forward: (f: ForwardView) => void;
  missed: () => void;
}

export class Inbox {
  phones = $state<Phone[]>([]);
  phonesNext = $state<string | null>(null);
  unread = $state(0);
  /** The open phone; null shows every message. */
  selected = $state<string | null>(null);
  messages = $state<Message[]>([]);
  messagesNext = $state<string | null>(null);
  filters = $state<Filters>({});
  loading = $state(false);
  error = $state<string | null>(null);
  paused = $state(false);
  /** Anything at all stored (for the empty state). */
  empty = $state(false);
  /** Whether the live stream is up and the server answers; false while reconnecting. */
  online = $state(true);
  private generation = 0;
  private events: EventSource | null = null;
  /** The stream has been up once: when it is up again, what it missed is reloaded. */
  private everReady = false;
  private probe: ReturnType<typeof setTimeout> | null = null;
  private failedProbes = 0;
  private forwardWatchers = new Set<ForwardWatcher>();

  /** Watches forwards from now on (the one event stream carries them); returns the
   * function that stops watching. */
  watchForwards(watcher: ForwardWatcher): () => void {
    this.forwardWatchers.add(watcher);
    return () => this.forwardWatchers.delete(watcher);
  }

  get viewFilters(): Filters {
    return { ...this.filters, to: this.selected ?? undefined };
  }

  async start() {
    // Listen first: a message that arrives while the first page loads is kept.
    this.listen();
    // A stream can stall without an error (a machine asleep, a server hung): ask
    // the server now and then too.
    setInterval(() => this.check(), 10_000);
    await Promise.all([this.loadPhones(), this.loadMessages()]);
  }

  /** Asks /emulator/v1/health; a failure means the server is lost. */
  private async check() {
    if (this.probe) return; // already probing, faster
    const ok = await api.health().then(
      () => true,
      () => false,
    );
    if (!ok) this.lost();
    else if (this.events?.readyState === EventSource.OPEN) this.online = true;
  }

  /** The stream dropped or the server did not answer: say so, and probe until it is back. */
  private lost() {
    this.online = false;
    if (this.probe) return;
    // 0.5 s, 1 s, 2 s... at most 5 s between tries.
    const delay = Math.min(5000, 500 * 2 ** this.failedProbes);
    this.probe = setTimeout(async () => {
      const ok = await api.health().then(
        () => true,
        () => false,
      );
      this.probe = null;
      if (!ok) {
        this.failedProbes += 1;
        this.lost();
      } else if (this.events?.readyState !== EventSource.OPEN) {
        // The server is back: reconnect now rather than on the browser's schedule
        // (a stream refused outright is never retried by the browser). `ready`
        // then says it is up and reloads what was missed.
        this.failedProbes += 1;
        this.events?.close();
        this.listen();
      } else {
        this.online = true;
      }
    }, delay);
  }

  async loadPhones() {
    try {
      const page = await api.phones();
      this.phones = page.items;
      this.phonesNext = page.next;
      this.unread = page.unread;
      this.empty = page.items.length === 0;
      this.error = null;
    } catch (e) {
      this.error = String(e);
    }
  }

  async morePhones() {
    if (!this.phonesNext) return;
    const page = await api.phones(this.phonesNext);
    this.phones = [...this.phones, ...page.items];
    this.phonesNext = page.next;
  }

  async loadMessages() {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await api.messages(this.viewFilters);
      if (generation !== this.generation) return; // a newer view was asked for
      // Keep what arrived live while the page was on its way.
      const newest = page.items[0]?.id ?? '';
      const arrived = this.messages.filter((m) => m.id > newest && this.matches(m));
      this.messages = [...arrived, ...page.items];
      this.messagesNext = page.next;
      this.error = null;
    } catch (e) {
      if (generation === this.generation) this.error = String(e);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  async moreMessages() {
    if (!this.messagesNext || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await api.messages(this.viewFilters, this.messagesNext);
      if (generation !== this.generation) return;
      this.messages = [...this.messages, ...page.items];
      this.messagesNext = page.next;
    } finally {
      this.loading = false;
    }
  }

  select(number: string | null) {
    this.selected = number;
    this.loadMessages();
    if (number) this.markRead(number);
  }

  setFilters(f: Filters) {
    this.filters = f;
    this.loadMessages();
  }

  markRead(number: string) {
    const phone = this.phones.find((p) => p.number === number);
    if (phone && phone.unread > 0) {
      this.unread = Math.max(0, this.unread - phone.unread);
      phone.unread = 0;
    }
    api.markRead(number).catch(() => {});
  }

  /** Whether a new message belongs in the open view. */
  private matches(m: Message): boolean {
    const f = this.viewFilters;
    if (f.to && m.to !== f.to) return false;
    if (f.channel && m.channel !== f.channel) return false;
    if (f.source && m.source !== f.source) return false;
    if (f.tenant && m.tenant !== f.tenant) return false;
    if (f.status && m.status !== f.status) return false;
    if (f.q) {
      const q = f.q.toLowerCase();
      if (![m.text, m.to, m.code ?? ''].some((s) => s.toLowerCase().includes(q))) return false;
    }
    return true;
  }

  private created(m: Message) {
    this.empty = false;
    if (this.matches(m) && !this.messages.some((x) => x.id === m.id)) {
      this.messages = [m, ...this.messages];
    }
    const open = this.selected === m.to && document.visibilityState === 'visible';
    const existing = this.phones.find((p) => p.number === m.to);
    const phone: Phone = existing
      ? { ...existing, count: existing.count + 1, unread: open ? 0 : existing.unread + 1, last_message: m }
      : { number: m.to, valid: true, count: 1, unread: open ? 0 : 1, last_message: m };
    this.phones = [phone, ...this.phones.filter((p) => p.number !== m.to)];
    if (open) this.markRead(m.to);
    else this.unread += 1;
  }

  private listen() {
    const events = new EventSource('/emulator/v1/events');
    this.events = events;
    // Each event's data, as the server's `Event` type says (types.gen.ts).
    type Data<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>['data'];
    const data = <T extends ServerEvent['type']>(_: T, e: Event): Data<T> =>
      JSON.parse((e as MessageEvent).data) as Data<T>;
    events.addEventListener('message.created', (e) => this.created(data('message.created', e)));
    const reload = () => {
      this.loadPhones();
      this.loadMessages();
      for (const w of this.forwardWatchers) w.missed();
    };
    for (const name of ['forward.queued', 'forward.attempt'] as const) {
      events.addEventListener(name, (e) => {
        const forward = JSON.parse((e as MessageEvent).data) as Extract<ForwardEvent, { type: typeof name }>['data'];
        for (const w of this.forwardWatchers) w.forward(forward);
      });
    }
    events.addEventListener('message.deleted', (e) => {
      const { id } = data('message.deleted', e);
      this.messages = this.messages.filter((m) => m.id !== id);
      this.loadPhones();
    });
    events.addEventListener('messages.cleared', reload);
    // Retention deleted old messages: one event per pass, however many went.
    events.addEventListener('messages.pruned', reload);
    events.addEventListener('lagged', reload);
    events.addEventListener('phone.read', (e) => {
      const { to } = data('phone.read', e);
      const phone = this.phones.find((p) => p.number === to);
      if (phone && phone.unread > 0) {
        this.unread = Math.max(0, this.unread - phone.unread);
        phone.unread = 0;
      }
    });
    events.addEventListener('capture.changed', (e) => {
      this.paused = data('capture.changed', e).paused;
    });
    // After a server restart the stream reconnects (by itself, or after a probe);
    // catch up then.
    events.addEventListener('ready', () => {
      if (this.events !== events) return;
      this.online = true;
      this.failedProbes = 0;
      if (this.everReady) reload();
      this.everReady = true;
    });
    events.addEventListener('error', () => {
      if (this.events === events) this.lost();
    });
  }
}

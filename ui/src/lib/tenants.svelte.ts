// The emulated tenants, and the one Settings, Limits and Logs are showing: one
// choice for the three views, so switching in one switches them all.

import { api, type TenantView } from './api';

class TenantChoice {
  list = $state<TenantView[]>([]);
  /** The tenant Settings, Limits and Logs show. */
  selected = $state('default');
  error = $state<string | null>(null);

  /** Every tenant's id, the selected one included even before the list is in. */
  get ids(): string[] {
    const ids = this.list.map((t) => t.id);
    return ids.includes(this.selected) ? ids : [this.selected, ...ids];
  }

  name(id: string): string {
    const tenant = this.list.find((t) => t.id === id);
    return tenant && tenant.friendly_name !== id ? `${tenant.friendly_name} (${id})` : id;
  }

  /** Reads the list again: tenants are made through the API, so one may be new. */
  async refresh() {
    try {
      this.list = (await api.tenants()).tenants;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }
}

export const tenants = new TenantChoice();

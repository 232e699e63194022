import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { ApplicationQuery, BromApi } from './BromApi';

type Query = { [key: string]: string | number | boolean | undefined };

/** {@link BromApi} over the BROM backend's REST API. */
export class BromClient implements BromApi {
  readonly #discoveryApi: DiscoveryApi;
  readonly #fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.#discoveryApi = options.discoveryApi;
    this.#fetchApi = options.fetchApi;
  }

  health() {
    return this.#get('/health');
  }

  listApplications(query: ApplicationQuery = {}) {
    return this.#get('/applications', query);
  }
  getApplication(name: string) {
    return this.#get(`/applications/${enc(name)}`);
  }
  createApplication(request: object) {
    return this.#send('POST', '/applications', request);
  }
  updateApplication(name: string, request: object) {
    return this.#send('PATCH', `/applications/${enc(name)}`, request);
  }
  deleteApplication(name: string, generation: number, force = false) {
    return this.#send('DELETE', `/applications/${enc(name)}`, undefined, {
      generation,
      force: force || undefined,
    });
  }
  confirmQueueDeletion(name: string, generation: number) {
    return this.#send(
      'POST',
      `/applications/${enc(name)}/queue-deletion-confirmation`,
      {
        generation,
      },
    );
  }
  getApplicationStatus(name: string) {
    return this.#get(`/applications/${enc(name)}/status`);
  }
  listUnmanagedObjects() {
    return this.#get('/unmanaged-objects');
  }

  getApplicationHealth(name: string) {
    return this.#get(`/applications/${enc(name)}/health`);
  }

  listNotificationTypes(query: Query = {}) {
    return this.#get('/notification-types', query);
  }
  createNotificationType(application: string, request: object) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/notification-types`,
      request,
    );
  }
  updateNotificationType(application: string, name: string, request: object) {
    return this.#send(
      'PATCH',
      `/applications/${enc(application)}/notification-types/${enc(name)}`,
      request,
    );
  }
  deleteNotificationType(
    application: string,
    name: string,
    generation: number,
  ) {
    return this.#send(
      'DELETE',
      `/applications/${enc(application)}/notification-types/${enc(name)}`,
      undefined,
      { generation },
    );
  }

  deprecateNotificationType(application: string, name: string, request: object) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/notification-types/${enc(name)}/deprecation`,
      request,
    );
  }
  createNotificationTypeVersion(application: string, name: string, request: object) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/notification-types/${enc(name)}/versions`,
      request,
    );
  }

  listSubscriptions(query: Query = {}) {
    return this.#get('/subscriptions', query);
  }
  listApprovals(query: Query = {}) {
    return this.#get('/approvals', query);
  }
  requestSubscription(request: object) {
    return this.#send('POST', '/subscriptions', request);
  }
  approveSubscription(id: string, generation: number, reason?: string) {
    return this.#send('POST', `/subscriptions/${enc(id)}/approve`, {
      generation,
      reason,
    });
  }
  rejectSubscription(id: string, generation: number, reason: string) {
    return this.#send('POST', `/subscriptions/${enc(id)}/reject`, {
      generation,
      reason,
    });
  }
  revokeSubscription(id: string, generation: number, reason: string) {
    return this.#send('POST', `/subscriptions/${enc(id)}/revoke`, {
      generation,
      reason,
    });
  }

  async listCredentials(application: string) {
    const body = await this.#get(
      `/applications/${enc(application)}/credentials`,
    );
    return body.items;
  }
  createCredential(application: string, request: object = {}) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/credentials`,
      request,
    );
  }
  rotateCredential(application: string, request: object = {}) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/credentials/rotate`,
      request,
    );
  }
  revokeCredential(application: string, id: string) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/credentials/${enc(id)}/revoke`,
      {},
    );
  }

  peekDeadLetters(application: string, count?: number) {
    return this.#get(`/applications/${enc(application)}/dead-letters`, {
      count,
    });
  }
  replayDeadLetters(application: string) {
    return this.#send(
      'POST',
      `/applications/${enc(application)}/dead-letters/replay`,
      {},
    );
  }
  purgeDeadLetters(application: string) {
    return this.#send(
      'DELETE',
      `/applications/${enc(application)}/dead-letters`,
    );
  }

  listAuditEvents(query: Query) {
    return this.#get('/audit-events', query);
  }

  async #url(path: string, query?: object) {
    const base = await this.#discoveryApi.getBaseUrl('brom');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}) as [
      string,
      unknown,
    ][]) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return `${base}${path}${qs ? `?${qs}` : ''}`;
  }

  async #get(path: string, query?: object): Promise<any> {
    const res = await this.#fetchApi.fetch(await this.#url(path, query));
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }

  async #send(
    method: string,
    path: string,
    body?: object,
    query?: object,
  ): Promise<any> {
    const res = await this.#fetchApi.fetch(await this.#url(path, query), {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }
}

function enc(segment: string) {
  return encodeURIComponent(segment);
}

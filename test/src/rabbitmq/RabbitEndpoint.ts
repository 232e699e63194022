import { ManagementClient } from '@internal/rabbitmq-management';

/**
 * Everything a test needs to reach a running test node; plain JSON, so the
 * Jest global setup can hand it to the test workers through an environment
 * variable.
 */
export interface RabbitNodeInfo {
  nodeName: string;
  host: string;
  ports: {
    amqp: number;
    management: number;
    dist: number;
    epmd: number;
    /** Where the broker's HTTP auth backend sends its requests: the BROM sidecar's port. */
    auth: number;
  };
  /** An internal-backend administrator created at boot (never `guest`). */
  admin: { username: string; password: string };
  managementUrl: string;
  /** The node's log file, worth reading when a test fails. */
  logFile: string;
}

export interface Credentials {
  username: string;
  password: string;
}

/** A reachable test node: connection details plus ready-made clients. */
export class RabbitEndpoint {
  readonly info: RabbitNodeInfo;

  constructor(info: RabbitNodeInfo) {
    this.info = info;
  }

  get nodeName() {
    return this.info.nodeName;
  }

  get host() {
    return this.info.host;
  }

  get ports() {
    return this.info.ports;
  }

  get admin(): Credentials {
    return this.info.admin;
  }

  get managementUrl() {
    return this.info.managementUrl;
  }

  get logFile() {
    return this.info.logFile;
  }

  /**
   * An `amqp://` URL for amqplib; the admin's credentials unless others are
   * given. The vhost is percent-encoded, so `/` is the default vhost.
   */
  amqpUrl(vhost = '/', username?: string, password?: string): string {
    const user = username ?? this.info.admin.username;
    const pass = password ?? (username ? '' : this.info.admin.password);
    return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@${
      this.info.host
    }:${this.info.ports.amqp}/${encodeURIComponent(vhost)}`;
  }

  /**
   * A new management client, as the admin unless other credentials are
   * given. The caller closes it.
   */
  managementClient(
    credentials: Credentials = this.info.admin,
  ): ManagementClient {
    return ManagementClient.create({
      baseUrl: this.info.managementUrl,
      username: credentials.username,
      password: credentials.password,
      connections: 2,
      headersTimeoutMs: 30_000,
    });
  }
}

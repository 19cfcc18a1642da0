/** Where the Redis the service shares between its instances lives; read from the environment by config.ts. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

export type RedisTopologyConfig =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      /** The primary's name in `sentinel monitor <name> …`. */
      readonly name: string;
      readonly sentinels: readonly RedisNodeAddress[];
      readonly sentinelPassword?: string;
      /** The data nodes' password (the primary and its replicas). */
      readonly password?: string;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNodeAddress[]; readonly password?: string };

export type RedisTopology = RedisTopologyConfig['kind'];

/** `host:port,host:port`; undefined with the reason when one entry is not of that form. */
export function parseNodeList(value: string): RedisNodeAddress[] | string {
  const nodes: RedisNodeAddress[] = [];
  for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(entry);
    const port = match === null ? NaN : Number(match[2]);
    if (match === null || port < 1 || port > 65_535) return `"${entry}" is not host:port`;
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes.length === 0 ? 'lists no host:port' : nodes;
}

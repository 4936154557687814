/**
 * Key names beside the queue's own. BullMQ names every key of a queue `<prefix>:<name>:<what>`;
 * a key of ours built the same way (`queueKey`) lives in the queue's Redis Cluster hash slot
 * whenever `<prefix>:<name>` carries a hash tag, so one Lua script may touch both: the add
 * script checks the leader lease, the held-key read checks deduplication keys and jobs.
 */

/** A key of this service's own under the queue: `<prefix>:<name>:sync-scheduler:<what>`. */
export const schedulerKey = (prefix: string, queueName: string, what: string): string =>
  queueKey(prefix, queueName, `sync-scheduler:${what}`);

/** `<prefix>:<name>:<what>`, the way BullMQ's `queue.toKey(what)` names a queue key. */
export const queueKey = (prefix: string, queueName: string, what: string): string =>
  `${prefix}:${queueName}:${what}`;

/**
 * The hash tag every key of the queue hashes by in a Redis Cluster, or null when its keys
 * would scatter over the slots. Redis hashes a key by the text between its first `{` and the
 * first `}` after it, when that text is not empty, else by the whole key. The tag must close
 * within `<prefix>:<name>`: one closed only by a suffix would differ from key to key.
 */
export function queueHashTag(prefix: string, queueName: string): string | null {
  const namespace = `${prefix}:${queueName}`;
  const open = namespace.indexOf('{');
  if (open === -1) return null;
  const close = namespace.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return namespace.slice(open + 1, close);
}

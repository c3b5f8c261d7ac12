/**
 * `warranties/YYYY/MM/DD/<store_uuid>/<event_id>.json`, dated by the request's arrival in UTC,
 * so a record is found from the store, the day and the event id (also in the API logs).
 */
export function archiveKey(receivedAt: Date, storeUuid: string, eventId: string): string {
  const yyyy = receivedAt.getUTCFullYear().toString().padStart(4, '0');
  const mm = (receivedAt.getUTCMonth() + 1).toString().padStart(2, '0');
  const dd = receivedAt.getUTCDate().toString().padStart(2, '0');
  return `warranties/${yyyy}/${mm}/${dd}/${storeUuid}/${eventId}.json`;
}

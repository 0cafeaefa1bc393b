/**
 * Object ids: Entra directory objects, and the app's own job and run ids, are GUIDs in the 8-4-4-4-12 hex form Graph
 * returns (either case is accepted; Graph compares ids case-insensitively). The one pattern the app checks them with.
 */

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID.test(value);

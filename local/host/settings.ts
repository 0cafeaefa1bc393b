/** App-setting lookups the way the Functions host does them: binding expressions `%NAME%` and connection names. */
export type SettingsSource = (name: string) => string | undefined;

export function settingsSource(env: Readonly<Record<string, string>> = {}): SettingsSource {
  return (name) => {
    const value = env[name] ?? process.env[name];
    return value === undefined || value === '' ? undefined : value;
  };
}

/** Replaces every `%NAME%` with the setting's value; a missing setting is an error naming it (the host refuses to index). */
export function resolvePlaceholders(value: string, settings: SettingsSource, what: string): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = settings(name);
    if (resolved === undefined) throw new Error(`${what}: app setting '${name}' referenced as %${name}% is not set`);
    return resolved;
  });
}

/**
 * The storage connection of a blob/queue trigger: its `connection` setting when that holds a connection string,
 * else the host's storage. Identity-based `<name>__*` settings cannot reach Azurite, so locally they also fall back.
 */
export function connectionFor(connection: string | undefined, settings: SettingsSource, fallback: string): string {
  if (!connection || connection === 'AzureWebJobsStorage') return fallback;
  const value = settings(connection) ?? settings(`AzureWebJobs${connection}`);
  return value && /AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(value) ? value : fallback;
}

import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { deployedNodeArguments } from '../../bench/childRun';
import { allFunctions } from '../../functions/catalog';
import { type ArmNode, evaluateArm, isArmExpression, objectEntries, parseArmExpression, printArm } from './armExpression';

/**
 * `bicep lint` and `bicep build` of infra/ are clean, and the compiled ARM template keeps the
 * security and wiring properties the app depends on. Needs the real Bicep CLI: BICEP_BIN (CI sets it from
 * .ci/bicep/install.sh), `bicep` on PATH, or the installer's default folder. Without one the suite is skipped
 * locally, and fails under CI=true so CI can never pass by skipping it.
 */
const repoRoot = resolve(__dirname, '..', '..');
const mainBicep = join(repoRoot, 'infra', 'main.bicep');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findBicep(): string | undefined {
  const fromEnv = process.env.BICEP_BIN?.trim();
  // An explicit BICEP_BIN is used even if broken: the suite then fails loudly instead of silently picking another.
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'bicep'))) return join(dir, 'bicep');
  }
  const installed = join(repoRoot, '.ci', 'bicep', '.tools', 'packages', 'azure.bicep.commandline.linux-x64');
  try {
    for (const version of readdirSync(installed).sort().reverse()) {
      const bin = join(installed, version, 'tools', 'bicep');
      if (isExecutable(bin)) return bin;
    }
  } catch {
    // not installed here
  }
  return undefined;
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runBicep(bin: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(bin, args, { cwd: repoRoot, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`cannot run the Bicep CLI at ${bin}: ${error.message}`));
        return;
      }
      resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

// Only the parts of the ARM template JSON the assertions read; the rest passes through untouched.
const resourceSchema = z.looseObject({
  type: z.string(),
  name: z.string(),
  condition: z.union([z.string(), z.boolean()]).optional(),
  properties: z.unknown().optional(),
});
type ArmResource = z.output<typeof resourceSchema>;
const templateSchema = z.looseObject({
  parameters: z.record(z.string(), z.looseObject({ type: z.string(), defaultValue: z.unknown().optional(), metadata: z.looseObject({ description: z.string().optional() }).optional() })).default({}),
  variables: z.record(z.string(), z.unknown()).default({}),
  resources: z.union([z.array(resourceSchema), z.record(z.string(), resourceSchema)]),
});
type ArmTemplate = z.output<typeof templateSchema>;

const entriesOf = (t: ArmTemplate): [string, ArmResource][] =>
  Array.isArray(t.resources) ? t.resources.map((r, i) => [String(i), r]) : Object.entries(t.resources);

/** Nested module deployments, each with its own template and the parameter values the parent passes. */
function modulesOf(t: ArmTemplate): { symbol: string; resource: ArmResource; template: ArmTemplate; params: Record<string, unknown> }[] {
  return entriesOf(t)
    .filter(([, r]) => r.type === 'Microsoft.Resources/deployments')
    .map(([symbol, resource]) => {
      const props = z.object({ template: z.unknown(), parameters: z.record(z.string(), z.object({ value: z.unknown() })).default({}) }).parse(resource.properties);
      const params = Object.fromEntries(Object.entries(props.parameters).map(([k, v]) => [k, v.value]));
      return { symbol, resource, template: templateSchema.parse(props.template), params };
    });
}

function allTemplates(t: ArmTemplate): ArmTemplate[] {
  return [t, ...modulesOf(t).flatMap((m) => allTemplates(m.template))];
}

function resourcesOfType(t: ArmTemplate, type: string): ArmResource[] {
  return entriesOf(t)
    .map(([, r]) => r)
    .filter((r) => r.type === type);
}

function single(t: ArmTemplate, type: string): ArmResource {
  const found = resourcesOfType(t, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}

const record = (v: unknown): Record<string, unknown> => z.record(z.string(), z.unknown()).parse(v);
const expr = (v: unknown): ArmNode => parseArmExpression(z.string().parse(v));
/** Bicep writes a string-interpolated key `'${x}'` as `format('{0}', x)`. */
const unwrapFormat = (n: ArmNode): ArmNode =>
  n.kind === 'call' && n.name === 'format' && n.args.length === 2 && n.args[0]?.kind === 'string' && n.args[0].value === '{0}' ? n.args[1]! : n;

const bicep = findBicep();
const inCi = process.env.CI === 'true';
if (!bicep && !inCi) {
  console.warn('test/infra/bicep.test.ts skipped: no Bicep CLI. Run `export BICEP_BIN="$(bash .ci/bicep/install.sh)"` to enable it.');
}

describe.skipIf(!bicep && !inCi)('infra/main.bicep', () => {
  let template: ArmTemplate;
  let build: RunResult;
  let lint: RunResult;

  beforeAll(async () => {
    if (!bicep) throw new Error('CI=true but no Bicep CLI was found: set BICEP_BIN="$(bash .ci/bicep/install.sh)" in .ci/run');
    [build, lint] = await Promise.all([runBicep(bicep, ['build', mainBicep, '--stdout']), runBicep(bicep, ['lint', mainBicep])]);
    if (build.code !== 0) throw new Error(`bicep build failed (${build.code}):\n${build.stderr}`);
    template = templateSchema.parse(JSON.parse(build.stdout));
  }, 180_000);

  it('lints without errors or warnings', () => {
    expect({ code: lint.code, output: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({ code: 0, output: '' });
  });

  it('builds without diagnostics', () => {
    expect(build.stderr.trim()).toBe('');
  });

  it('describes every parameter of the template and its modules', () => {
    const undescribed = allTemplates(template).flatMap((t) =>
      Object.entries(t.parameters)
        .filter(([, p]) => !p.metadata?.description?.trim())
        .map(([name]) => name),
    );
    expect(undescribed).toEqual([]);
  });

  it('turns off shared keys, public blob access and TLS below 1.2 on the storage account', () => {
    const props = record(single(template, 'Microsoft.Storage/storageAccounts').properties);
    expect(props).toMatchObject({
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
    });
  });

  it('keeps every blob container private', () => {
    const containers = resourcesOfType(template, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers.length).toBeGreaterThan(0);
    for (const c of containers) {
      if (c.properties !== undefined) expect(record(c.properties).publicAccess, c.name).toBe('None');
    }
  });

  it('hosts the app on a Flex Consumption (FC1) plan', () => {
    const plan = single(template, 'Microsoft.Web/serverfarms');
    expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
  });

  it('runs Node 20 through the Flex Consumption runtime settings', () => {
    const props = record(single(template, 'Microsoft.Web/sites').properties);
    expect(record(props.functionAppConfig).runtime).toEqual({ name: 'node', version: "[parameters('nodeVersion')]" });
    expect(template.parameters.nodeVersion?.defaultValue).toBe('20');
  });

  it('gives the function app only the user-assigned identity and deploys its package with it', () => {
    const site = single(template, 'Microsoft.Web/sites');
    const identity = z.object({ type: z.string(), userAssignedIdentities: z.record(z.string(), z.unknown()) }).parse(site.identity);
    expect(identity.type).toBe('UserAssigned');
    const keys = Object.keys(identity.userAssignedIdentities).map((k) => printArm(unwrapFormat(expr(k))));
    expect(keys).toEqual(["resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('names').identity)"]);
    const storage = record(record(record(record(site.properties).functionAppConfig).deployment).storage);
    expect(storage.type).toBe('blobContainer');
    expect(record(storage.authentication).type).toBe('UserAssignedIdentity');
    expect(printArm(expr(record(storage.authentication).userAssignedIdentityResourceId))).toBe(keys[0]);
    expect(record(site.properties).httpsOnly).toBe(true);
  });

  describe('app settings', () => {
    let settings: Map<string, ArmNode>;
    beforeAll(() => {
      const config = resourcesOfType(template, 'Microsoft.Web/sites/config').filter((r) => r.name.includes("'appsettings'"));
      expect(config).toHaveLength(1);
      settings = objectEntries(expr(config[0]!.properties));
    });
    const setting = (name: string) => {
      const node = settings.get(name);
      if (!node) throw new Error(`app setting ${name} is not set`);
      return printArm(node);
    };

    it('connects to host storage by identity, with no AzureWebJobsStorage connection string', () => {
      expect(settings.has('AzureWebJobsStorage')).toBe(false);
      expect([...settings.keys()].filter((k) => k.startsWith('AzureWebJobsStorage')).sort()).toEqual([
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__clientId',
        'AzureWebJobsStorage__credential',
      ]);
      expect(setting('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
      expect(setting('AzureWebJobsStorage__clientId')).toBe("reference('identity').clientId");
      expect(setting('AzureWebJobsStorage__accountName')).toBe("variables('names').storage");
    });

    it('uses the user-assigned identity for Graph and Application Insights', () => {
      expect(setting('GRAPH_AUTH')).toBe("'managedIdentity'");
      expect(setting('AZURE_CLIENT_ID')).toBe("reference('identity').clientId");
      expect(setting('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("format('ClientId={0};Authorization=AAD', reference('identity').clientId)");
    });

    it('requires app roles exactly when App Service authentication is configured', () => {
      expect(setting('REQUIRE_APP_ROLES')).toBe("if(empty(parameters('appAuthClientId')), 'false', 'true')");
      // The app validates bearer tokens itself for the deployment's tenant, both audience forms, the cloud's authority.
      expect(setting('AUTH_TENANT_ID')).toBe("if(empty(parameters('appAuthClientId')), '', tenant().tenantId)");
      expect(setting('AUTH_AUDIENCE')).toContain("parameters('appAuthClientId')");
      expect(setting('AUTH_AUTHORITY_HOST')).toBe('environment().authentication.loginEndpoint');
      const auth = resourcesOfType(template, 'Microsoft.Web/sites/config').filter((r) => r.name.includes("'authsettingsV2'"));
      expect(auth.map((r) => r.condition)).toEqual(["[not(empty(parameters('appAuthClientId')))]"]);
    });

    it('caps the Node worker heap with the arguments the benches measure (languageWorkers__node__arguments)', () => {
      const value = setting('languageWorkers__node__arguments');
      expect(value).toContain("format('--max-old-space-size={0}', parameters('nodeMaxOldSpaceMiB'))");
      expect(value).toContain("format('--max-semi-space-size={0}', parameters('nodeMaxSemiSpaceMiB'))");
      const defaults = template.parameters;
      expect(deployedNodeArguments().args).toEqual([
        `--max-old-space-size=${String(defaults.nodeMaxOldSpaceMiB?.defaultValue)}`,
        `--max-semi-space-size=${String(defaults.nodeMaxSemiSpaceMiB?.defaultValue)}`,
      ]);
    });

    it('sets every setting of local.settings.sample.json except the local-only ones', () => {
      // Local-only: Flex Consumption rejects the worker runtime/flags as settings, Azure uses identity storage,
      // and static Graph tokens are for the local sandbox.
      const localOnly = new Set(['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsFeatureFlags', 'AzureWebJobsStorage', 'GRAPH_STATIC_TOKEN']);
      const sample = z.object({ Values: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')));
      const missing = Object.keys(sample.Values).filter((k) => !localOnly.has(k) && !settings.has(k));
      expect(missing, 'add a parameter and an app setting for these in infra/main.bicep').toEqual([]);
    });

    it('never sets settings that Flex Consumption rejects or that would bypass the identity', () => {
      for (const name of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'GRAPH_STATIC_TOKEN', 'APPINSIGHTS_INSTRUMENTATIONKEY']) {
        expect(settings.has(name), name).toBe(false);
      }
    });
  });

  it('outputs the names, ids and principal ids a deployer needs next', () => {
    const outputs = z.record(z.string(), z.object({ type: z.string() })).parse(template.outputs);
    for (const name of ['functionAppName', 'functionAppId', 'identityPrincipalId', 'identityClientId', 'identityId', 'storageAccountName', 'keyVaultName', 'eventGridSystemTopicName']) {
      expect(outputs[name]?.type, name).toBe('string');
    }
  });

  it('ships a parameters file that sets every required parameter and only known ones', () => {
    const file = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.unknown() })) })
      .parse(JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')));
    const known = Object.keys(template.parameters);
    const required = Object.entries(template.parameters).filter(([, p]) => p.defaultValue === undefined).map(([n]) => n);
    expect(Object.keys(file.parameters).filter((n) => !known.includes(n))).toEqual([]);
    expect(required.filter((n) => !(n in file.parameters))).toEqual([]);
  });

  it('sends blob write and delete logs to Log Analytics, so every CSV upload names its uploader', () => {
    const diagnostics = resourcesOfType(template, 'Microsoft.Insights/diagnosticSettings');
    const blob = diagnostics.find((d) => JSON.stringify(d).includes('blobServices'));
    expect(blob, 'a diagnostic setting scoped to the blob service').toBeDefined();
    const props = record(blob?.properties);
    expect(String(props.workspaceId)).toContain('Microsoft.OperationalInsights/workspaces');
    const logs = z.array(z.object({ category: z.string(), enabled: z.boolean() })).parse(props.logs);
    expect(logs.filter((l) => l.enabled).map((l) => l.category).sort()).toEqual(['StorageDelete', 'StorageWrite']);
  });

  it('names every role assignment with a deterministic guid()', () => {
    const assignments = allTemplates(template).flatMap((t) => resourcesOfType(t, 'Microsoft.Authorization/roleAssignments'));
    expect(assignments.length).toBeGreaterThanOrEqual(5);
    for (const a of assignments) {
      const name = expr(a.name);
      expect(name.kind === 'call' && name.name === 'guid', a.name).toBe(true);
      // Runtime values (principal ids) cannot appear in guid(): ARM needs the name before deployment starts.
      expect(a.name, a.name).not.toMatch(/reference\(/);
    }
  });

  it('grants the identity the storage, monitoring and Key Vault roles the app needs, and no more', () => {
    const roles = record(template.variables.roles);
    const storageRoles = z.array(z.string()).parse(template.variables.storageRoleIds).map((v) => evaluateArm(expr(v), { variables: template.variables }));
    expect(storageRoles).toEqual([roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]);
    expect(roles).toMatchObject({
      storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
      storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
      keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
    });
    const assigned = resourcesOfType(template, 'Microsoft.Authorization/roleAssignments').map((a) =>
      printArm(expr(record(a.properties).roleDefinitionId)).replace("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ", '').replace(/\)$/, ''),
    );
    // The identity's roles, plus Blob Data Contributor scoped to single containers for CSV uploaders and for the
    // Event Grid topic's dead-lettering. Owner/Contributor or account-wide data roles for anyone else would show here.
    expect(assigned.sort()).toEqual(
      [
        "variables('storageRoleIds')[copyIndex()]",
        "variables('roles').storageBlobDataContributor",
        "variables('roles').monitoringMetricsPublisher",
        "variables('roles').keyVaultSecretsUser",
        "variables('roles').storageBlobDataContributor",
      ].sort(),
    );
  });

  describe('first deployment in a fresh subscription', () => {
    it('sets no siteConfig.ftpsState on the Flex Consumption site (rejected there with error 51021)', () => {
      const site = single(template, 'Microsoft.Web/sites');
      expect(record(record(site.properties).siteConfig)).not.toHaveProperty('ftpsState');
    });

    it('allows no maximumInstanceCount below 40 (lower values deploy only in some regions)', () => {
      const p = template.parameters.maximumInstanceCount as { defaultValue?: unknown; minValue?: unknown };
      expect(p.minValue).toBe(40);
      expect(Number(p.defaultValue)).toBeGreaterThanOrEqual(40);
    });

    it('can recover a soft-deleted Key Vault or take a new name after a teardown', () => {
      const vault = single(template, 'Microsoft.KeyVault/vaults');
      expect(JSON.stringify(record(vault.properties).createMode)).toContain('keyVaultRecover');
      expect(template.parameters).toHaveProperty('keyVaultNameSuffix');
    });

    it('tags the function app for azd', () => {
      expect(JSON.stringify(single(template, 'Microsoft.Web/sites'))).toContain('azd-service-name');
    });
  });

  it('accepts only Entra ID telemetry in Application Insights and RBAC in Key Vault', () => {
    expect(record(single(template, 'Microsoft.Insights/components').properties).DisableLocalAuth).toBe(true);
    expect(record(single(template, 'Microsoft.KeyVault/vaults').properties).enableRbacAuthorization).toBe(true);
  });

  describe('phone-import Event Grid subscription', () => {
    const eventsModule = () => {
      const mods = modulesOf(template).filter((m) => resourcesOfType(m.template, 'Microsoft.EventGrid/systemTopics/eventSubscriptions').length > 0);
      expect(mods).toHaveLength(1);
      const mod = mods[0]!;
      // The parent's values for the module parameters, evaluated in the parent's scope where that is possible
      // without a deployment (names built from uniqueString() are not; evaluateArm throws for those).
      const params: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(mod.params)) {
        try {
          params[k] = isArmExpression(v) ? evaluateArm(parseArmExpression(v), { variables: template.variables }) : v;
        } catch {
          // left out: an assertion that needs it fails with "unknown parameter"
        }
      }
      for (const [k, p] of Object.entries(mod.template.parameters)) if (!(k in params) && p.defaultValue !== undefined) params[k] = p.defaultValue;
      const sub = single(mod.template, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
      return { mod, sub, scope: { variables: mod.template.variables, parameters: params } };
    };

    it('delivers only BlobCreated events for phone-imports/incoming/ blobs', () => {
      const { sub, scope } = eventsModule();
      const filter = record(record(sub.properties).filter);
      expect(filter.includedEventTypes).toEqual(['Microsoft.Storage.BlobCreated']);
      expect(evaluateArm(expr(filter.subjectBeginsWith), scope)).toBe('/blobServices/default/containers/phone-imports/blobs/incoming/');
      expect(filter.isSubjectCaseSensitive).toBe(true);
    });

    it("posts to the host's blobs webhook for the blob-trigger function with the blobs_extension key", () => {
      const { sub } = eventsModule();
      const destination = record(record(sub.properties).destination);
      expect(destination.endpointType).toBe('WebHook');
      const url = printArm(expr(record(destination.properties).endpointUrl));
      expect(url).toContain("'https://{0}/runtime/webhooks/blobs?functionName=Host.Functions.{1}&code={2}'");
      expect(url).toContain("parameters('functionName')");
      expect(url).toContain("listKeys(format('{0}/host/default', resourceId('Microsoft.Web/sites', parameters('functionAppName'))), '2024-11-01').systemKeys.blobs_extension");
    });

    it('is deployed only when deployEventSubscription is true, which defaults to false', () => {
      const { mod } = eventsModule();
      expect(mod.resource.condition).toBe("[parameters('deployEventSubscription')]");
      expect(template.parameters.deployEventSubscription?.defaultValue).toBe(false);
    });

    it('targets the Event Grid blob trigger that the function catalog registers for phone-imports/incoming/', () => {
      const triggers = allFunctions.filter((f) => f.kind === 'storageBlob' && f.options.path.startsWith('phone-imports/incoming/'));
      expect(triggers.map((f) => f.name)).toEqual([template.parameters.phoneImportBlobFunctionName?.defaultValue]);
      expect(triggers.map((f) => f.kind === 'storageBlob' && f.options.source)).toEqual(['EventGrid']);
      const { mod } = eventsModule();
      expect(mod.params.functionName).toBe("[parameters('phoneImportBlobFunctionName')]");
    });
  });
});
